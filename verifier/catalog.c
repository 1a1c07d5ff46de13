/* SPDX-License-Identifier: MIT */
/*
 * The catalogue of checks (catalog.h): one row per check id the verifier
 * records, with its plain explanation in English and French.
 *
 * Adding a check means adding a row here, or its first report is
 * incomplete (report.c) and `make lint` fails (tests/lint.sh looks for
 * every "fc.*" / "api.*" literal of verifier/ in this file).  docs/checks.md
 * below its "generated" marker is `raccord checks --format markdown`.
 * Each row's rule says exactly what is applied (English, the terms of the
 * sources); title, why and fix say it plainly for a collectivité.
 */
#include <string.h>
#include <strings.h>

#include "verifier/catalog.h"

/* Common wordings. */
#define FR_RANDOM_FIX                                                          \
	"Tirez state et nonce d'un générateur aléatoire cryptographique, "  \
	"neufs à chaque connexion."
#define EN_RANDOM_FIX                                                          \
	"Draw state and nonce from a cryptographic random generator, fresh "   \
	"at every login."
#define DOC_REQ "docs/fc_rules.md#one-authorization-request-fc_authreq_judge"
#define DOC_PARAMS                                                             \
	"docs/fc_rules.md#parameters-fc-v2-accepts-fc_param_known-fc_check_"   \
	"params-fc_check_pkce"
#define DOC_RANDOM                                                             \
	"docs/fc_rules.md#randomness-over-several-fetches-fc_random_judge"
#define DOC_FETCH "docs/checks.md#how-the-site-is-fetched"
#define DOC_API   "docs/apis.md#the-checks"
#define DOC_CONF  "docs/conformance.md#what-each-run-proves"
#define REF_FC    "shared/reference/franceconnect.md"
#define REF_API   "shared/reference/national_apis.md"

/* One entry, its texts in English then French. */
#define TXT(t_en, w_en, f_en, t_fr, w_fr, f_fr)                                \
	{                                                                      \
		[CATALOG_EN] = { t_en, w_en, f_en },                           \
		[CATALOG_FR] = { t_fr, w_fr, f_fr },                           \
	}

/* clang-format off */
static const struct catalog_entry entries[] = {
/* ---- FranceConnect: the provider, the login fetches ---- */
{ .id = "fc.discovery", .kind = "franceconnect", .level = CATALOG_REQUIRED,
  .rule = "the configured FranceConnect discovery document is reachable and valid. Never `fail`: the URL, the trust anchors (`network.ca_file`) and the SSRF guard (`network.allow_private`) are the operator's, so any trouble is `error` (inconclusive) and the detail names the config key (`franceconnect.production.discovery_url`, ...)",
  .text = TXT("FranceConnect's discovery document can be read",
	"raccord judges the site against the addresses FranceConnect publishes; without them nothing can be judged, so the result is inconclusive, never a failure of the site.",
	"Nothing to change on the site: the raccord operator checks franceconnect.<environment>.discovery_url, network.ca_file and network.allow_private, then tests again.",
	"Le document de découverte de FranceConnect est lisible",
	"raccord compare le site aux adresses que publie FranceConnect ; sans elles rien ne peut être jugé : le résultat est non concluant, jamais un échec du site.",
	"Rien à changer sur le site : l'opérateur de raccord vérifie franceconnect.<environnement>.discovery_url, network.ca_file et network.allow_private, puis relance le test."),
  .doc = "docs/fc_rules.md#discovery-oidc_discovery_parse",
  .spec = "OpenID Connect Discovery 1.0 §4.3" },
{ .id = "fc.login.redirect", .kind = "franceconnect", .level = CATALOG_REQUIRED,
  .rule = "each of `checks.login_fetches` (≥ 3) independent fetches of `login_url`, each with a fresh cookie jar, leads to an authorization request — following the site's redirects hop by hop, and its FranceConnect button when `login_url` is a page (links and forms, CSRF fields and cookies included)",
  .text = TXT("The login address leads to a FranceConnect authorization request",
	"A person who clicks to log in must reach FranceConnect. raccord follows the site's redirects and its FranceConnect button as a browser would, several times, with fresh cookies each time.",
	"Make the login address (or the FranceConnect button it shows) send the browser to FranceConnect's /authorize every time, without navigation done only in JavaScript and without needing an earlier session.",
	"L'adresse de connexion mène à une demande d'autorisation FranceConnect",
	"Une personne qui clique pour se connecter doit arriver sur FranceConnect. raccord suit les redirections du site et son bouton FranceConnect comme un navigateur, plusieurs fois, avec des cookies neufs à chaque fois.",
	"Faites en sorte que l'adresse de connexion (ou le bouton FranceConnect qu'elle affiche) envoie le navigateur vers /authorize de FranceConnect à chaque fois, sans navigation faite seulement en JavaScript et sans session préalable."),
  .doc = DOC_FETCH, .spec = REF_FC " §2; RFC 6749 §4.1.1" },
{ .id = "fc.login.https", .kind = "franceconnect", .level = CATALOG_REQUIRED,
  .rule = "the hop that emits the authorization request (and sets the state) is https",
  .text = TXT("The authorization request leaves from an https page",
	"The page that sets the state and sends the person to FranceConnect must not be readable or changeable by someone on the network.",
	"Serve the login route over https only (redirect http to https).",
	"La demande d'autorisation part d'une page en https",
	"La page qui fixe le state et envoie la personne vers FranceConnect ne doit pas pouvoir être lue ni modifiée par quelqu'un sur le réseau.",
	"Servez la route de connexion uniquement en https (redirigez http vers https)."),
  .doc = DOC_FETCH, .spec = "RFC 9700 §2.1; " REF_FC " §5" },
/* ---- FranceConnect: one authorization request (oidc/fc_profile.c) ---- */
{ .id = "fc.authorize.endpoint", .kind = "franceconnect", .level = CATALOG_REQUIRED,
  .rule = "the request targets exactly the configured v2 authorization endpoint: scheme, host, port (default ports filled in) and path, the path compared as sent (a trailing `/` differs)",
  .text = TXT("The request goes to FranceConnect's v2 authorization endpoint",
	"A request sent to another address (an old path, a typo, a proxy) never reaches FranceConnect's login page.",
	"Use exactly the authorization_endpoint of FranceConnect's discovery document (scheme, host, port and path).",
	"La demande vise le point d'autorisation v2 de FranceConnect",
	"Une demande envoyée à une autre adresse (ancien chemin, faute de frappe, intermédiaire) n'atteint jamais la page de connexion FranceConnect.",
	"Utilisez exactement l'authorization_endpoint du document de découverte de FranceConnect (schéma, hôte, port et chemin)."),
  .doc = DOC_REQ, .spec = REF_FC " §1 (Paths)" },
{ .id = "fc.authorize.platform", .kind = "franceconnect", .level = CATALOG_REQUIRED,
  .rule = "the host is not a legacy v1 host (decommissioned September 2025, or any `/api/v1/` path) nor a sandbox host in a production dossier; FC hosts for an FC dossier and FC+ hosts for an FC+ dossier; a production host in an integration dossier, or an unknown host, warns",
  .text = TXT("The request targets the right FranceConnect platform",
	"FranceConnect v1 is shut down, sandbox keys never work in production, and FranceConnect keys do not work on FranceConnect+.",
	"In production use oidc.franceconnect.gouv.fr (FranceConnect+: auth.franceconnect.gouv.fr) with the production keys; move any /api/v1 integration to v2.",
	"La demande vise la bonne plateforme FranceConnect",
	"FranceConnect v1 est arrêté, les clés du bac à sable ne marchent jamais en production, et les clés FranceConnect ne marchent pas sur FranceConnect+.",
	"En production, utilisez oidc.franceconnect.gouv.fr (FranceConnect+ : auth.franceconnect.gouv.fr) avec les clés de production ; migrez toute intégration /api/v1 vers la v2."),
  .doc = "docs/fc_rules.md#hosts-fc_platform_classify-check-fcauthorizeplatform",
  .spec = REF_FC " §1, §5" },
{ .id = "fc.authorize.duplicates", .kind = "franceconnect", .level = CATALOG_REQUIRED,
  .rule = "no parameter given twice",
  .text = TXT("No parameter is sent twice",
	"OAuth forbids repeated parameters, and FranceConnect refuses such a request.",
	"Build the authorization address with each parameter once; look for a library that adds its own state, scope or nonce next to yours.",
	"Aucun paramètre n'est envoyé deux fois",
	"OAuth interdit les paramètres répétés, et FranceConnect refuse une telle demande.",
	"Construisez l'adresse d'autorisation avec chaque paramètre une seule fois ; cherchez une bibliothèque qui ajoute son propre state, scope ou nonce à côté du vôtre."),
  .doc = DOC_REQ, .spec = "RFC 6749 §3.1" },
{ .id = "fc.authorize.response_type", .kind = "franceconnect", .level = CATALOG_REQUIRED,
  .rule = "exactly `code` (FranceConnect supports only the authorization code flow)",
  .text = TXT("response_type is code",
	"FranceConnect supports only the authorization code flow; any other value is refused (unsupported_response_type).",
	"Send response_type=code.",
	"response_type vaut code",
	"FranceConnect n'accepte que le flux « code d'autorisation » ; toute autre valeur est refusée (unsupported_response_type).",
	"Envoyez response_type=code."),
  .doc = DOC_REQ, .spec = REF_FC " §2" },
{ .id = "fc.authorize.client_id", .kind = "franceconnect", .level = CATALOG_REQUIRED,
  .rule = "present, and equal to the dossier's `client_id`",
  .text = TXT("client_id is the declared one",
	"FranceConnect recognises the service by its client_id: an unknown or disabled one is refused (Y04EA6EF), and another service's proves nothing for this dossier.",
	"Send the client_id FranceConnect gave this service, the one declared in the dossier.",
	"client_id est celui qui est déclaré",
	"FranceConnect reconnaît le service à son client_id : un identifiant inconnu ou désactivé est refusé (Y04EA6EF), et celui d'un autre service ne prouve rien pour ce dossier.",
	"Envoyez le client_id que FranceConnect a attribué à ce service, celui déclaré dans le dossier."),
  .doc = DOC_REQ, .spec = REF_FC " §2" },
{ .id = "fc.authorize.redirect_uri", .kind = "franceconnect", .level = CATALOG_REQUIRED,
  .rule = "equal, as a string after decoding, to the dossier's `redirect_uri`; an absolute URL; https in production; no fragment",
  .text = TXT("redirect_uri is the declared return address",
	"FranceConnect sends the person back only to a registered address (Y04C013C otherwise); http or a #fragment would expose the authorization code.",
	"Send exactly the redirect_uri registered with FranceConnect and declared in the dossier, in https, without #fragment.",
	"redirect_uri est l'adresse de retour déclarée",
	"FranceConnect ne renvoie la personne que vers une adresse enregistrée (sinon Y04C013C) ; http ou un #fragment exposeraient le code d'autorisation.",
	"Envoyez exactement la redirect_uri enregistrée auprès de FranceConnect et déclarée dans le dossier, en https, sans #fragment."),
  .doc = DOC_REQ, .spec = REF_FC " §2; RFC 6749 §3.1.2; RFC 9700 §2.1" },
{ .id = "fc.authorize.scope", .kind = "franceconnect", .level = CATALOG_REQUIRED,
  .rule = "space-separated; contains `openid` (case-sensitive); no scope removed in v2 (`address`, `phone`); unknown scopes warn (they may be data-provider scopes granted by DataPass)",
  .text = TXT("scope holds openid and only scopes that exist",
	"Without openid there is no identity; address and phone were removed in v2 and are refused.",
	"Send scope=openid followed by the scopes your DataPass habilitation grants, separated by spaces; remove address and phone.",
	"scope contient openid et seulement des scopes qui existent",
	"Sans openid il n'y a pas d'identité ; address et phone ont été retirés en v2 et sont refusés.",
	"Envoyez scope=openid suivi des scopes accordés par votre habilitation DataPass, séparés par des espaces ; retirez address et phone."),
  .doc = DOC_REQ, .spec = REF_FC " §2 (Scopes)" },
{ .id = "fc.authorize.acr_values", .kind = "franceconnect", .level = CATALOG_REQUIRED,
  .rule = "present; each value `eidas1` for FranceConnect, `eidas2` or `eidas3` for FranceConnect+",
  .text = TXT("acr_values asks for the right eIDAS level",
	"FranceConnect v2 requires the eIDAS level; a missing or wrong value is refused (Y030007).",
	"Send acr_values=eidas1 (FranceConnect+: eidas2 or eidas3).",
	"acr_values demande le bon niveau eIDAS",
	"FranceConnect v2 exige le niveau eIDAS ; une valeur absente ou fausse est refusée (Y030007).",
	"Envoyez acr_values=eidas1 (FranceConnect+ : eidas2 ou eidas3)."),
  .doc = DOC_REQ, .spec = REF_FC " §2" },
{ .id = "fc.authorize.prompt", .kind = "franceconnect", .level = CATALOG_REQUIRED,
  .rule = "absent, or only `login`/`consent` (an empty value fails)",
  .text = TXT("prompt is absent, login or consent",
	"FranceConnect accepts only these values and refuses the others (Y030007).",
	"Remove prompt, or send prompt=login or prompt=consent.",
	"prompt est absent, login ou consent",
	"FranceConnect n'accepte que ces valeurs et refuse les autres (Y030007).",
	"Retirez prompt, ou envoyez prompt=login ou prompt=consent."),
  .doc = DOC_REQ, .spec = REF_FC " §2" },
{ .id = "fc.authorize.claims", .kind = "franceconnect", .level = CATALOG_REQUIRED,
  .rule = "absent, or a JSON object (duplicate keys rejected) whose `id_token`/`userinfo` members, when present, are objects",
  .text = TXT("claims is absent or a valid JSON object",
	"A malformed claims parameter makes FranceConnect refuse the request.",
	"Send claims as URL-encoded JSON, such as {\"id_token\":{\"amr\":{\"essential\":true}}}, or not at all.",
	"claims est absent ou un objet JSON valide",
	"Un paramètre claims mal formé fait refuser la demande par FranceConnect.",
	"Envoyez claims en JSON encodé pour une URL, par exemple {\"id_token\":{\"amr\":{\"essential\":true}}}, ou ne l'envoyez pas."),
  .doc = DOC_REQ, .spec = REF_FC " §2; OpenID Connect Core 1.0 §5.5" },
{ .id = "fc.authorize.state", .kind = "franceconnect", .level = CATALOG_REQUIRED,
  .rule = "present, at least 22 characters (FC qualification rule; FC's `@MinLength(22)`); a character outside `[A-Za-z0-9]` warns",
  .text = TXT("state is present and long enough",
	"state ties FranceConnect's answer to the browser that asked for it; without it an attacker can log a person into the attacker's account. FranceConnect refuses a state shorter than 22 characters (Y030007).",
	"Generate a new random state of at least 22 letters and digits at each login, keep it in the session and compare it when the person comes back.",
	"state est présent et assez long",
	"state relie la réponse de FranceConnect au navigateur qui l'a demandée ; sans lui un attaquant peut connecter une personne à son propre compte. FranceConnect refuse un state de moins de 22 caractères (Y030007).",
	"Générez un nouveau state aléatoire d'au moins 22 lettres et chiffres à chaque connexion, gardez-le en session et comparez-le au retour de la personne."),
  .doc = DOC_REQ, .spec = REF_FC " §2; RFC 6749 §10.12; RFC 9700 §4.7" },
{ .id = "fc.authorize.nonce", .kind = "franceconnect", .level = CATALOG_REQUIRED,
  .rule = "present, at least 22 characters (FC qualification rule; FC's `@MinLength(22)`); a character outside `[A-Za-z0-9]` warns",
  .text = TXT("nonce is present and long enough",
	"nonce ties the ID token to this login; without it a stolen token can be replayed. FranceConnect refuses a nonce shorter than 22 characters (Y030007).",
	"Generate a new random nonce of at least 22 letters and digits at each login, keep it in the session and check it in the ID token.",
	"nonce est présent et assez long",
	"nonce relie le jeton d'identité à cette connexion ; sans lui un jeton volé peut être rejoué. FranceConnect refuse un nonce de moins de 22 caractères (Y030007).",
	"Générez un nouveau nonce aléatoire d'au moins 22 lettres et chiffres à chaque connexion, gardez-le en session et vérifiez-le dans le jeton d'identité."),
  .doc = DOC_REQ, .spec = REF_FC " §2; OpenID Connect Core 1.0 §3.1.2.1, §15.5.2" },
{ .id = "fc.authorize.pkce", .kind = "franceconnect", .level = CATALOG_REQUIRED,
  .rule = "no `code_challenge` / `code_challenge_method`: FranceConnect v2 refuses them with `Y030007` (its `AuthorizeParamsDto` has no PKCE field and forbids unknown parameters)",
  .text = TXT("No PKCE parameter is sent",
	"FranceConnect v2 refuses code_challenge and code_challenge_method (Y030007), and many OIDC libraries send them by default.",
	"Turn PKCE off in the OIDC library's settings for FranceConnect.",
	"Aucun paramètre PKCE n'est envoyé",
	"FranceConnect v2 refuse code_challenge et code_challenge_method (Y030007), et beaucoup de bibliothèques OIDC les envoient par défaut.",
	"Désactivez PKCE dans les réglages de la bibliothèque OIDC pour FranceConnect."),
  .doc = DOC_PARAMS, .spec = "FranceConnect sources, AuthorizeParamsDto (see the doc)" },
{ .id = "fc.authorize.params", .kind = "franceconnect", .level = CATALOG_REQUIRED,
  .rule = "every other parameter is one FC v2's `AuthorizeParamsDto` lists (`client_id`, `response_type`, `redirect_uri`, `scope`, `acr_values`, `state`, `nonce`, `claims`, `prompt`, `idp_hint`, `ui_locales`); anything else is refused with `Y030007`",
  .text = TXT("Only parameters FranceConnect accepts",
	"FranceConnect v2 refuses any parameter outside its list (login_hint, max_age, response_mode, display, request, ...) with Y030007.",
	"Remove the parameters the detail names.",
	"Seulement des paramètres acceptés par FranceConnect",
	"FranceConnect v2 refuse tout paramètre hors de sa liste (login_hint, max_age, response_mode, display, request, ...) avec Y030007.",
	"Retirez les paramètres que le détail nomme."),
  .doc = DOC_PARAMS, .spec = "FranceConnect sources, AuthorizeParamsDto (see the doc)" },
/* ---- FranceConnect: state and nonce over several fetches ---- */
{ .id = "fc.authorize.random.repeat", .kind = "franceconnect", .level = CATALOG_REQUIRED,
  .rule = "no state or nonce value repeats across fetches, a state reused as another fetch's nonce included (skip with fewer than 2 fetches)",
  .text = TXT("state and nonce change at every login",
	"A value that comes back can be predicted, and then no longer protects the login.",
	EN_RANDOM_FIX " Never reuse or cache them.",
	"state et nonce changent à chaque connexion",
	"Une valeur qui revient est prévisible et ne protège plus la connexion.",
	FR_RANDOM_FIX " Ne les réutilisez pas et ne les mettez pas en cache."),
  .doc = DOC_RANDOM, .spec = REF_FC " (What a verifier can check, 3); RFC 9700 §4.7" },
{ .id = "fc.authorize.random.state_is_nonce", .kind = "franceconnect", .level = CATALOG_REQUIRED,
  .rule = "state ≠ nonce within one fetch",
  .text = TXT("state and nonce are different",
	"The two values guard against different attacks; one value for both weakens the protection and shows it in two places.",
	"Generate state and nonce separately.",
	"state et nonce sont différents",
	"Les deux valeurs protègent contre des attaques différentes ; une seule valeur pour les deux affaiblit la protection et l'expose à deux endroits.",
	"Générez state et nonce séparément."),
  .doc = DOC_RANDOM, .spec = REF_FC " (What a verifier can check, 3)" },
{ .id = "fc.authorize.random.counter", .kind = "franceconnect", .level = CATALOG_REQUIRED,
  .rule = "values are not a counter: they do not differ only in one run of digits that increases from fetch to fetch",
  .text = TXT("state and nonce are not a counter",
	"A value that goes up by steps can be guessed by anyone who has seen one.",
	EN_RANDOM_FIX,
	"state et nonce ne sont pas un compteur",
	"Une valeur qui augmente pas à pas se devine dès qu'on en a vu une.",
	FR_RANDOM_FIX),
  .doc = DOC_RANDOM, .spec = REF_FC " (What a verifier can check, 3)" },
{ .id = "fc.authorize.random.affix", .kind = "franceconnect", .level = CATALOG_REQUIRED,
  .rule = "no common prefix/suffix leaving fewer than 22 varying characters (a common affix of ≥ 4 characters with enough varying ones warns)",
  .text = TXT("Enough of state and nonce varies",
	"A fixed prefix or suffix adds length without randomness: fewer than 22 varying characters are too easy to guess.",
	"Use at least 22 random characters, without a fixed prefix or suffix.",
	"Une part suffisante de state et nonce varie",
	"Un préfixe ou un suffixe fixe allonge la valeur sans la rendre aléatoire : moins de 22 caractères qui varient se devinent trop facilement.",
	"Utilisez au moins 22 caractères aléatoires, sans préfixe ni suffixe fixe."),
  .doc = DOC_RANDOM, .spec = REF_FC " §2 (qualification rule)" },
{ .id = "fc.authorize.random.embedded", .kind = "franceconnect", .level = CATALOG_REQUIRED,
  .rule = "no URL inside a value (`://`, `http%3a`, `%2f%2f`, `www.`, base64 of `http://`/`https://`); a Unix timestamp near the fetch time warns",
  .text = TXT("state and nonce carry no data",
	"A URL or a date inside state travels in clear through the browser and FranceConnect and can be altered: state is for randomness, not for the application's data.",
	"Keep the return address and other data in the server-side session, found again through a random state.",
	"state et nonce ne transportent pas de données",
	"Une adresse ou une date dans state circule en clair par le navigateur et FranceConnect et peut être modifiée : state sert au hasard, pas aux données de l'application.",
	"Gardez l'adresse de retour et les autres données dans la session côté serveur, retrouvée grâce à un state aléatoire."),
  .doc = DOC_RANDOM, .spec = "RFC 9700 §4.7" },
{ .id = "fc.authorize.random.entropy", .kind = "franceconnect", .level = CATALOG_ADVISORY,
  .rule = "≥ 128 estimated bits (the smallest usual alphabet of the varying part × its length: an upper bound)",
  .text = TXT("state and nonce hold at least 128 bits of randomness",
	"Below 128 bits a value may be guessed by trying many; advisory, because raccord can only estimate it from outside.",
	"Use at least 16 random bytes, encoded (for example 32 hexadecimal or 22 base64url characters).",
	"state et nonce portent au moins 128 bits d'aléa",
	"Sous 128 bits une valeur peut être devinée à force d'essais ; indicatif, car raccord ne peut que l'estimer de l'extérieur.",
	"Utilisez au moins 16 octets aléatoires, encodés (par exemple 32 caractères hexadécimaux ou 22 en base64url)."),
  .doc = DOC_RANDOM, .spec = REF_FC " (What a verifier can check, 3)" },
/* ---- FranceConnect: the provider's answer, the callback, the site ---- */
{ .id = "fc.provider.accepts", .kind = "franceconnect", .level = CATALOG_REQUIRED,
  .rule = "FranceConnect itself accepts the captured request, shown to it the way a browser would: `pass` when its page is shown without error, `fail` when it names a fault of the request (an error page with `Y04EA6EF`, `Y04C013C`, `Y030007`, ..., or a redirect back to the `redirect_uri` with `error=invalid_request`, `unsupported_response_type`, ...), `error` (inconclusive) for anything else",
  .text = TXT("FranceConnect accepts the request",
	"FranceConnect has the last word: raccord shows it the captured request as a browser would. A refusal means people cannot log in; an outage of FranceConnect is inconclusive, never a failure.",
	"Correct what FranceConnect's code names (the detail explains it): most often a client_id not enabled for this environment, a redirect_uri not registered, or a refused parameter.",
	"FranceConnect accepte la demande",
	"FranceConnect a le dernier mot : raccord lui présente la demande capturée comme un navigateur. Un refus veut dire que personne ne peut se connecter ; une panne de FranceConnect est non concluante, jamais un échec.",
	"Corrigez ce que nomme le code de FranceConnect (le détail l'explique) : le plus souvent un client_id non activé pour cet environnement, une redirect_uri non enregistrée ou un paramètre refusé."),
  .doc = "docs/checks.md#how-fcprovideraccepts-is-decided",
  .spec = REF_FC " §8; docs/fc_rules.md (FC error codes)" },
{ .id = "fc.callback.forged", .kind = "franceconnect", .level = CATALOG_ADVISORY,
  .rule = "the callback refuses a made-up `code` and `state` cleanly: `pass` for a 4xx, a redirect, or a page that reports an error; `warn` for a 5xx, a new session cookie, or a 2xx page that shows no error. Seen from outside only, so advisory",
  .text = TXT("The return address refuses a made-up code and state",
	"A return address that accepts any state can be used to log a person into someone else's session; seen from outside only, so advisory.",
	"On the redirect_uri, compare state with the session's before anything else, and answer an error page (4xx) without opening a session.",
	"L'adresse de retour refuse un code et un state inventés",
	"Une adresse de retour qui accepte n'importe quel state permet de connecter une personne à la session de quelqu'un d'autre ; vu seulement de l'extérieur, donc indicatif.",
	"Sur la redirect_uri, comparez state à celui de la session avant toute autre chose, et répondez une page d'erreur (4xx) sans ouvrir de session."),
  .doc = "docs/fc_rules.md#the-forged-callback-fc_callback_forged_judge",
  .spec = "OpenID Connect Core 1.0 §3.1.2.7; RFC 9700 §4.7" },
{ .id = "fc.callback.error", .kind = "franceconnect", .level = CATALOG_ADVISORY,
  .rule = "the callback handles `error=access_denied` (the person cancelled) without a 5xx and without opening a session",
  .text = TXT("The return address handles a cancelled login",
	"A person who cancels at FranceConnect comes back with error=access_denied; a server error there leaves them stranded.",
	"When the return address receives error=..., show a page that lets the person try again or choose another way in; open no session.",
	"L'adresse de retour gère une connexion annulée",
	"Une personne qui annule sur FranceConnect revient avec error=access_denied ; une erreur du serveur à ce moment la laisse sans issue.",
	"Quand l'adresse de retour reçoit error=..., affichez une page qui permet de réessayer ou de choisir un autre moyen de connexion ; n'ouvrez pas de session."),
  .doc = DOC_FETCH, .spec = "RFC 6749 §4.1.2.1" },
{ .id = "fc.cookie.attributes", .kind = "franceconnect", .level = CATALOG_ADVISORY,
  .rule = "cookies set during the login redirect are Secure, HttpOnly and SameSite (not Strict, which drops them on the return from FranceConnect)",
  .text = TXT("Login cookies are Secure, HttpOnly and SameSite (not Strict)",
	"The session cookie that holds the state must not leak to scripts or over http; SameSite=Strict drops it when FranceConnect sends the person back, and the login fails.",
	"Set Secure; HttpOnly; SameSite=Lax on the session cookie.",
	"Les cookies de connexion sont Secure, HttpOnly et SameSite (pas Strict)",
	"Le cookie de session qui garde le state ne doit fuir ni vers les scripts ni en http ; SameSite=Strict le fait perdre quand FranceConnect renvoie la personne, et la connexion échoue.",
	"Posez Secure; HttpOnly; SameSite=Lax sur le cookie de session."),
  .doc = DOC_FETCH, .spec = "RFC 6265 §4.1.2; RFC 6265bis SameSite" },
{ .id = "fc.tls.hsts", .kind = "franceconnect", .level = CATALOG_ADVISORY,
  .rule = "Strict-Transport-Security with max-age ≥ 180 days",
  .text = TXT("HTTPS is enforced (HSTS for at least 180 days)",
	"Without HSTS a first visit over http can be intercepted before the redirect to https.",
	"Send Strict-Transport-Security: max-age=15552000 (or more) on every https answer.",
	"HTTPS est imposé (HSTS d'au moins 180 jours)",
	"Sans HSTS, une première visite en http peut être interceptée avant la redirection vers https.",
	"Envoyez Strict-Transport-Security: max-age=15552000 (ou plus) sur chaque réponse https."),
  .doc = DOC_FETCH, .spec = "RFC 6797" },
{ .id = "fc.tls.expiry", .kind = "franceconnect", .level = CATALOG_ADVISORY,
  .rule = "the site's certificates do not expire within `checks.cert_warn_days`",
  .text = TXT("The site's certificate does not expire soon",
	"An expired certificate stops every login.",
	"Renew the certificate, and automate its renewal (for example with ACME).",
	"Le certificat du site n'expire pas bientôt",
	"Un certificat expiré bloque toutes les connexions.",
	"Renouvelez le certificat, et automatisez son renouvellement (par exemple avec ACME)."),
  .doc = DOC_FETCH, .spec = "RFC 5280 §4.1.2.5" },
{ .id = "fc.button", .kind = "franceconnect", .level = CATALOG_ADVISORY,
  .rule = "`button_page_url` (or the login page) shows the FranceConnect button and the \"Qu'est-ce que FranceConnect ?\" link to franceconnect.gouv.fr",
  .text = TXT("The FranceConnect button and its explanation link are shown",
	"FranceConnect's rules ask for its official button and the \"Qu'est-ce que FranceConnect ?\" link, so that people recognise the service.",
	"Use the official FranceConnect button and add the \"Qu'est-ce que FranceConnect ?\" link to franceconnect.gouv.fr next to it.",
	"Le bouton FranceConnect et son lien d'explication sont affichés",
	"Les règles de FranceConnect demandent son bouton officiel et le lien « Qu'est-ce que FranceConnect ? », pour que chacun reconnaisse le service.",
	"Utilisez le bouton officiel FranceConnect et ajoutez à côté le lien « Qu'est-ce que FranceConnect ? » vers franceconnect.gouv.fr."),
  .doc = DOC_FETCH, .spec = REF_FC " §5 (Button requirements)" },
{ .id = "fc.logout.redirect_uri", .kind = "franceconnect", .level = CATALOG_ADVISORY,
  .rule = "`post_logout_redirect_uri` is https and answers",
  .text = TXT("The address after logout is https and answers",
	"After logging out of FranceConnect the person is sent there; a dead or http address leaves them on an error.",
	"Declare an https post_logout_redirect_uri that serves a page.",
	"L'adresse après déconnexion est en https et répond",
	"Après la déconnexion de FranceConnect la personne y est renvoyée ; une adresse morte ou en http la laisse sur une erreur.",
	"Déclarez une post_logout_redirect_uri en https qui affiche une page."),
  .doc = DOC_FETCH, .spec = REF_FC " §4; OpenID Connect RP-Initiated Logout 1.0 §3" },
{ .id = "fc.habilitation", .kind = "franceconnect", .level = CATALOG_CONDITIONAL,
  .rule = "when DataPass is configured: an active `france_connect` (or legacy `franceconnect`) DataPass habilitation whose SIRET equals the collectivité's, not revoked, not a `_sandbox` stage, validated inside `policy.window` when set; DataPass refusing raccord's own credentials is `error`",
  .text = TXT("A DataPass FranceConnect habilitation is active for the SIRET",
	"FranceConnect may be used only under a validated DataPass habilitation of the same organisation.",
	"Ask for (or renew) the FranceConnect habilitation on DataPass, with the collectivité's own SIRET.",
	"Une habilitation DataPass FranceConnect est active pour le SIRET",
	"FranceConnect ne peut être utilisé qu'avec une habilitation DataPass validée de la même organisation.",
	"Demandez (ou renouvelez) l'habilitation FranceConnect sur DataPass, avec le SIRET de la collectivité elle-même."),
  .doc = DOC_API, .spec = REF_API " §4, §5" },
/* ---- National APIs (verifier/api_checks.c) ---- */
{ .id = "api.habilitation", .kind = "api", .level = CATALOG_CONDITIONAL,
  .rule = "when DataPass is configured: an active DataPass habilitation for the claimed API (definition on the guichet's eligible list, stage not `_sandbox`), `revoked` false, `organisation.siret` equal to the collectivité's SIRET, validated inside `policy.window` when set; DataPass refusing raccord's own credentials is `error`",
  .text = TXT("A DataPass habilitation for this API is active for the SIRET",
	"A national API may be called only under a validated habilitation of the same organisation, at its production stage.",
	"Ask for the habilitation on DataPass with the collectivité's own SIRET, and complete its production stage.",
	"Une habilitation DataPass pour cette API est active pour le SIRET",
	"Une API nationale ne peut être appelée qu'avec une habilitation validée de la même organisation, à son étape de production.",
	"Demandez l'habilitation sur DataPass avec le SIRET de la collectivité elle-même, et menez à bien son étape de production."),
  .doc = DOC_API, .spec = REF_API " §4, §5" },
{ .id = "api.token.live", .kind = "api", .level = CATALOG_CONDITIONAL,
  .rule = "when the dossier gives a credential: the harmless proof call answers 200 with a non-empty `scopes`/`privileges` list (DGFiP: the gateway issues an access token); 401/403 fail with the code explained; a secret raccord may not read is `error`",
  .text = TXT("The API accepts the credential",
	"A credential the API refuses (invalid, expired, blacklisted after a leak) proves no connection.",
	"Give the token (or DGFiP client secret) the API accepts today, from the API's console; ask for a new one if it expired or leaked.",
	"L'API accepte le jeton",
	"Un jeton que l'API refuse (invalide, expiré, révoqué après une fuite) ne prouve aucun raccordement.",
	"Fournissez le jeton (ou le secret client DGFiP) que l'API accepte aujourd'hui, depuis la console de l'API ; demandez-en un nouveau s'il a expiré ou fuité."),
  .doc = DOC_API, .spec = REF_API " §1, §2, §3; RFC 6749 §5.1" },
{ .id = "api.token.production", .kind = "api", .level = CATALOG_CONDITIONAL,
  .rule = "in a production dossier: not a staging token (`sub` starting with `staging`, all-zero `jti` or `uid`); a JWT for API Entreprise and API Particulier v3, well formed; an opaque API Particulier v2 key is `skip`",
  .text = TXT("The credential is a production token",
	"Staging tokens open only test hosts and fictitious data: they prove no production connection.",
	"Give the production token issued after the habilitation's production stage.",
	"Le jeton est un jeton de production",
	"Les jetons de recette n'ouvrent que des serveurs de test et des données fictives : ils ne prouvent aucun raccordement en production.",
	"Fournissez le jeton de production délivré après l'étape de production de l'habilitation."),
  .doc = DOC_API, .spec = REF_API " §1 (Public staging tokens), §2" },
{ .id = "api.token.legacy", .kind = "api", .level = CATALOG_ADVISORY,
  .rule = "API Particulier only: the key is an opaque v2 key of the legacy kind, sent in `X-Api-Key`; it may pass `api.token.live`, and this warns that v3 routes take a JWT in `Authorization: Bearer`",
  .text = TXT("The API Particulier key is a legacy v2 key",
	"v2 keys are being retired; v3 routes take a JWT in Authorization: Bearer.",
	"Ask API Particulier for a v3 token and move the calls to v3.",
	"La clé API Particulier est une ancienne clé v2",
	"Les clés v2 vont être retirées ; les routes v3 attendent un JWT dans Authorization: Bearer.",
	"Demandez un jeton v3 à API Particulier et passez les appels en v3."),
  .doc = DOC_API, .spec = REF_API " §1" },
{ .id = "api.token.owner", .kind = "api", .level = CATALOG_CONDITIONAL,
  .rule = "when the token's claims or the proof answer name a `siret`/`siren`, it equals the collectivité's (usually `skip`: today neither carries one)",
  .text = TXT("The credential belongs to this collectivité",
	"A token issued to another organisation proves nothing about this one.",
	"Give the collectivité's own token, not its software vendor's or another collectivité's.",
	"Le jeton appartient à cette collectivité",
	"Un jeton délivré à une autre organisation ne prouve rien pour celle-ci.",
	"Fournissez le jeton de la collectivité elle-même, pas celui de son éditeur ni d'une autre collectivité."),
  .doc = DOC_API, .spec = REF_API " §1, §2" },
{ .id = "api.token.expiry", .kind = "api", .level = CATALOG_REQUIRED,
  .rule = "`exp` in the future; no `exp` warns",
  .text = TXT("The credential has not expired",
	"The API refuses an expired token.",
	"Renew the token in the API's console.",
	"Le jeton n'a pas expiré",
	"L'API refuse un jeton expiré.",
	"Renouvelez le jeton dans la console de l'API."),
  .doc = DOC_API, .spec = "RFC 7519 §4.1.4" },
{ .id = "api.token.renewal", .kind = "api", .level = CATALOG_ADVISORY,
  .rule = "`warn` when the token expires within 30 days",
  .text = TXT("The credential does not expire within 30 days",
	"Calls to the API stop the day it expires.",
	"Renew the token now and note the next renewal date.",
	"Le jeton n'expire pas dans les 30 jours",
	"Les appels à l'API s'arrêtent le jour où il expire.",
	"Renouvelez le jeton dès maintenant et notez la prochaine date de renouvellement."),
  .doc = DOC_API, .spec = "RFC 7519 §4.1.4" },
{ .id = "api.tls", .kind = "api", .level = CATALOG_ADVISORY,
  .rule = "the API host's TLS as the probe saw it (version, verified certificate, expiry within `checks.cert_warn_days` warns); advisory because the host is the State's; a failed verification makes `api.token.live` `error`",
  .text = TXT("The API host's TLS is sound",
	"Reported for the record: the host belongs to the State, not to the collectivité.",
	"Nothing to change on the site; when verification fails, the raccord operator checks network.ca_file.",
	"Le TLS du serveur de l'API est correct",
	"Signalé pour mémoire : le serveur appartient à l'État, pas à la collectivité.",
	"Rien à changer sur le site ; si la vérification échoue, l'opérateur de raccord vérifie network.ca_file."),
  .doc = DOC_API, .spec = "RFC 8446; RFC 5280" },
{ .id = "api.evidence", .kind = "api", .level = CATALOG_REQUIRED,
  .rule = "recorded (`error`) only when nothing can prove the connection: DataPass not configured and no credential in the dossier",
  .text = TXT("Something can prove the connection",
	"Without a habilitation to read or a credential to try, the claimed connection cannot be verified: the result is inconclusive.",
	"Give the API credential in the dossier (or the raccord operator configures DataPass).",
	"Quelque chose peut prouver le raccordement",
	"Sans habilitation à lire ni jeton à essayer, le raccordement annoncé ne peut pas être vérifié : le résultat est non concluant.",
	"Fournissez le jeton de l'API dans le dossier (ou l'opérateur de raccord configure DataPass)."),
  .doc = DOC_API, .spec = REF_API " (What a verifier can check)" },
/* ---- Active conformance (verifier/conformance.c), raccord plays FC ---- */
{ .id = "fc.conformance.reference", .kind = "conformance", .level = CATALOG_REQUIRED,
  .rule = "a correct FranceConnect login opens a session; its landing page is the reference for \"logged in\" (fail: no session; error: the page looks the same without a session; either way the other runs are skipped)",
  .text = TXT("A correct FranceConnect login opens a session",
	"The landing page of a correct login is the reference for \"logged in\"; without it no forged login can be judged.",
	"Make the integration environment work with raccord's test provider (registration, redirect_uri, TLS trust), and land on a page that shows the person is logged in.",
	"Une connexion FranceConnect correcte ouvre une session",
	"La page d'arrivée d'une connexion correcte sert de référence pour « connecté » ; sans elle aucune connexion falsifiée ne peut être jugée.",
	"Faites fonctionner l'environnement d'intégration avec le fournisseur de test de raccord (enregistrement, redirect_uri, confiance TLS), et arrivez sur une page qui montre que la personne est connectée."),
  .doc = DOC_CONF, .spec = "OpenID Connect Core 1.0 §3.1" },
{ .id = "fc.conformance.nonce_wrong", .kind = "conformance", .level = CATALOG_REQUIRED,
  .rule = "an ID token whose `nonce` differs from the one the site sent is refused",
  .text = TXT("An ID token with another nonce is refused",
	"Otherwise a token taken from another login can be slipped into this one.",
	"Compare the ID token's nonce with the one kept in the session.",
	"Un jeton d'identité avec un autre nonce est refusé",
	"Sinon un jeton pris dans une autre connexion peut être glissé dans celle-ci.",
	"Comparez le nonce du jeton d'identité à celui gardé en session."),
  .doc = DOC_CONF, .spec = "OpenID Connect Core 1.0 §3.1.3.7 (11)" },
{ .id = "fc.conformance.nonce_missing", .kind = "conformance", .level = CATALOG_REQUIRED,
  .rule = "an ID token without `nonce` is refused (FC requires a nonce in every request, so in every token)",
  .text = TXT("An ID token without nonce is refused",
	"FranceConnect always returns the nonce; a token without one was not issued for this login.",
	"Require the nonce claim and compare it with the session's.",
	"Un jeton d'identité sans nonce est refusé",
	"FranceConnect renvoie toujours le nonce ; un jeton qui n'en a pas n'a pas été délivré pour cette connexion.",
	"Exigez la donnée nonce et comparez-la à celle de la session."),
  .doc = DOC_CONF, .spec = "OpenID Connect Core 1.0 §3.1.3.7 (11)" },
{ .id = "fc.conformance.aud_wrong", .kind = "conformance", .level = CATALOG_REQUIRED,
  .rule = "an ID token whose `aud` is another client is refused",
  .text = TXT("An ID token for another service is refused",
	"A token issued to another service could otherwise be reused here to log someone in.",
	"Check that aud holds your client_id.",
	"Un jeton d'identité destiné à un autre service est refusé",
	"Sinon un jeton délivré à un autre service pourrait être réutilisé ici pour connecter quelqu'un.",
	"Vérifiez que aud contient votre client_id."),
  .doc = DOC_CONF, .spec = "OpenID Connect Core 1.0 §3.1.3.7 (3)" },
{ .id = "fc.conformance.iss_wrong", .kind = "conformance", .level = CATALOG_REQUIRED,
  .rule = "an ID token whose `iss` is another issuer is refused",
  .text = TXT("An ID token from another issuer is refused",
	"Only FranceConnect may vouch for a person's identity.",
	"Check that iss equals FranceConnect's issuer from its discovery document.",
	"Un jeton d'identité d'un autre émetteur est refusé",
	"Seul FranceConnect peut garantir l'identité d'une personne.",
	"Vérifiez que iss est l'émetteur de FranceConnect donné par son document de découverte."),
  .doc = DOC_CONF, .spec = "OpenID Connect Core 1.0 §3.1.3.7 (2)" },
{ .id = "fc.conformance.exp_past", .kind = "conformance", .level = CATALOG_REQUIRED,
  .rule = "an ID token that expired ten minutes ago is refused",
  .text = TXT("An expired ID token is refused",
	"An old token, found in a log or a history, must not open a session.",
	"Check exp against the current time (allow only a small clock skew).",
	"Un jeton d'identité expiré est refusé",
	"Un ancien jeton, trouvé dans un journal ou un historique, ne doit pas ouvrir de session.",
	"Comparez exp à l'heure actuelle (avec seulement une petite tolérance d'horloge)."),
  .doc = DOC_CONF, .spec = "OpenID Connect Core 1.0 §3.1.3.7 (9)" },
{ .id = "fc.conformance.iat_future", .kind = "conformance", .level = CATALOG_REQUIRED,
  .rule = "an ID token issued an hour in the future is refused",
  .text = TXT("An ID token issued in the future is refused",
	"A token dated in the future was not issued by a working FranceConnect.",
	"Check iat against the current time (allow only a small clock skew).",
	"Un jeton d'identité émis dans le futur est refusé",
	"Un jeton daté du futur n'a pas été délivré par un FranceConnect en état de marche.",
	"Comparez iat à l'heure actuelle (avec seulement une petite tolérance d'horloge)."),
  .doc = DOC_CONF, .spec = "OpenID Connect Core 1.0 §3.1.3.7 (10)" },
{ .id = "fc.conformance.signature_bad", .kind = "conformance", .level = CATALOG_REQUIRED,
  .rule = "an ID token whose signature was altered is refused (FC v2 signs with ES256 or RS256)",
  .text = TXT("An ID token with a wrong signature is refused",
	"Without the signature check anyone can write an identity and log in as anybody.",
	"Verify the signature with FranceConnect's published keys (JWKS), ES256 or RS256.",
	"Un jeton d'identité à la signature fausse est refusé",
	"Sans vérification de la signature, n'importe qui peut écrire une identité et se connecter à la place de n'importe qui.",
	"Vérifiez la signature avec les clés publiées par FranceConnect (JWKS), en ES256 ou RS256."),
  .doc = DOC_CONF, .spec = "OpenID Connect Core 1.0 §3.1.3.7 (6)" },
{ .id = "fc.conformance.alg_none", .kind = "conformance", .level = CATALOG_REQUIRED,
  .rule = "an unsigned ID token (`alg: none`) is refused (FC v2 allows only ES256 and RS256)",
  .text = TXT("An unsigned ID token (alg none) is refused",
	"An unsigned token can be written by anyone.",
	"Accept only the ES256 and RS256 algorithms.",
	"Un jeton d'identité non signé (alg none) est refusé",
	"Un jeton non signé peut être écrit par n'importe qui.",
	"N'acceptez que les algorithmes ES256 et RS256."),
  .doc = DOC_CONF, .spec = "OpenID Connect Core 1.0 §3.1.3.7 (6); RFC 8725 §3.1" },
{ .id = "fc.conformance.key_unknown", .kind = "conformance", .level = CATALOG_REQUIRED,
  .rule = "an ID token signed by a key absent from the JWKS (even after a refetch) is refused",
  .text = TXT("An ID token signed by an unknown key is refused",
	"A key that FranceConnect does not publish can belong to anyone.",
	"Verify only against the keys of FranceConnect's JWKS; refetch it once on an unknown kid, then refuse.",
	"Un jeton d'identité signé par une clé inconnue est refusé",
	"Une clé que FranceConnect ne publie pas peut appartenir à n'importe qui.",
	"Ne vérifiez qu'avec les clés du JWKS de FranceConnect ; rechargez-le une fois pour un kid inconnu, puis refusez."),
  .doc = DOC_CONF, .spec = "OpenID Connect Core 1.0 §10.1.1" },
{ .id = "fc.conformance.acr_missing", .kind = "conformance", .level = CATALOG_REQUIRED,
  .rule = "an ID token without `acr` is refused, or gives no access (the returned eIDAS level must be checked against the one asked)",
  .text = TXT("An ID token without acr is refused",
	"The eIDAS level FranceConnect returns must be checked against the one asked for.",
	"Check that acr is the eIDAS level you asked for.",
	"Un jeton d'identité sans acr est refusé",
	"Le niveau eIDAS renvoyé par FranceConnect doit être comparé à celui demandé.",
	"Vérifiez que acr est le niveau eIDAS demandé."),
  .doc = DOC_CONF, .spec = REF_FC " §3 (ID token)" },
{ .id = "fc.conformance.acr_low", .kind = "conformance", .level = CATALOG_REQUIRED,
  .rule = "FranceConnect+ only: an ID token whose `acr` is `eidas1`, below the `eidas2`/`eidas3` the site asked, is refused",
  .text = TXT("An ID token below the eIDAS level asked is refused (FranceConnect+)",
	"A service that needs a substantial or high guarantee would otherwise let a weaker authentication through.",
	"Check that acr is at least the eIDAS level you asked for (eidas2 or eidas3).",
	"Un jeton d'identité d'un niveau eIDAS inférieur à celui demandé est refusé (FranceConnect+)",
	"Un service qui exige une garantie substantielle ou élevée laisserait sinon passer une authentification plus faible.",
	"Vérifiez que acr est au moins le niveau eIDAS demandé (eidas2 ou eidas3)."),
  .doc = DOC_CONF, .spec = REF_FC " §3 (FranceConnect+: acr at least the level asked)" },
{ .id = "fc.conformance.userinfo_sub", .kind = "conformance", .level = CATALOG_REQUIRED,
  .rule = "with a genuine ID token, a signed userinfo whose `sub` is not the ID token's is refused: no session is opened",
  .text = TXT("A userinfo naming another person is refused",
	"On FranceConnect the person's identity comes from userinfo; a session opened anyway logs in somebody FranceConnect did not vouch for, or nobody.",
	"Compare the userinfo's sub with the ID token's and refuse the login when they differ.",
	"Un userinfo qui désigne une autre personne est refusé",
	"Sur FranceConnect l'identité de la personne vient de userinfo ; une session ouverte malgré tout connecte quelqu'un que FranceConnect n'a pas garanti, ou personne.",
	"Comparez le sub de userinfo à celui du jeton d'identité et refusez la connexion s'ils diffèrent."),
  .doc = DOC_CONF, .spec = "OpenID Connect Core 1.0 §5.3.2" },
{ .id = "fc.conformance.state_altered", .kind = "conformance", .level = CATALOG_REQUIRED,
  .rule = "a callback whose `state` is not the browser's is refused",
  .text = TXT("A return with another state is refused",
	"Otherwise an attacker can log a person into the attacker's account (cross-site request forgery).",
	"Compare state with the session's before exchanging the code.",
	"Un retour avec un autre state est refusé",
	"Sinon un attaquant peut connecter une personne à son propre compte (falsification de requête intersite).",
	"Comparez state à celui de la session avant d'échanger le code."),
  .doc = DOC_CONF, .spec = "RFC 6749 §10.12; RFC 9700 §4.7" },
{ .id = "fc.conformance.code_replayed", .kind = "conformance", .level = CATALOG_REQUIRED,
  .rule = "a callback carrying the code of the earlier reference login, whose ID token is bound to the other browser's nonce, is refused (code injection)",
  .text = TXT("A replayed authorization code is refused",
	"A code stolen from another browser's login would log this browser in as someone else.",
	"Bind the login to the browser: check the ID token's nonce against this session's.",
	"Un code d'autorisation rejoué est refusé",
	"Un code volé dans la connexion d'un autre navigateur connecterait ce navigateur sous l'identité de quelqu'un d'autre.",
	"Liez la connexion au navigateur : comparez le nonce du jeton d'identité à celui de cette session."),
  .doc = DOC_CONF, .spec = "RFC 9700 §4.5" },
{ .id = "fc.conformance.logout", .kind = "conformance", .level = CATALOG_ADVISORY,
  .rule = "after a correct login, the dossier's `logout_url` sends the browser to the provider's `/session/end` with `id_token_hint` = that login's ID token and the declared `post_logout_redirect_uri`, and the site's own session is closed afterwards (warn otherwise; skip without `logout_url`)",
  .text = TXT("Logging out also ends the FranceConnect session",
	"A person who logs out of the site but not of FranceConnect stays logged in on a shared computer.",
	"On logout, destroy the local session and redirect the browser to FranceConnect's /session/end with id_token_hint (the ID token received) and a declared post_logout_redirect_uri.",
	"La déconnexion met aussi fin à la session FranceConnect",
	"Une personne déconnectée du site mais pas de FranceConnect reste connectée sur un ordinateur partagé.",
	"À la déconnexion, détruisez la session locale et redirigez le navigateur vers /session/end de FranceConnect avec id_token_hint (le jeton d'identité reçu) et un post_logout_redirect_uri déclaré."),
  .doc = DOC_CONF, .spec = REF_FC " §4 (Logout)" },
};
/* clang-format on */

#define NENTRIES (sizeof(entries) / sizeof(entries[0]))

const struct catalog_entry *
catalog_find(const char *id)
{
	size_t i;

	if (id == NULL)
		return NULL;
	for (i = 0; i < NENTRIES; i++)
		if (strcmp(entries[i].id, id) == 0)
			return &entries[i];
	return NULL;
}

size_t
catalog_count(void)
{
	return NENTRIES;
}

const struct catalog_entry *
catalog_get(size_t i)
{
	return i < NENTRIES ? &entries[i] : NULL;
}

const char *
catalog_lang_str(enum catalog_lang lang)
{
	return lang == CATALOG_FR ? "fr" : "en";
}

enum rc_code
catalog_lang_parse(const char *s, enum catalog_lang *out, struct rc_err *err)
{
	if (s != NULL && strcasecmp(s, "en") == 0) {
		*out = CATALOG_EN;
		return RC_OK;
	}
	if (s != NULL && strcasecmp(s, "fr") == 0) {
		*out = CATALOG_FR;
		return RC_OK;
	}
	return RC_ERR(err, RC_EINVAL,
	    "unknown language \"%s\" (allowed: en, fr)", s != NULL ? s : "");
}

const char *
catalog_level_name(enum catalog_level level)
{
	static const char *const names[CATALOG_LEVEL__MAX] = { "required",
		"conditional", "advisory" };

	return (unsigned)level < CATALOG_LEVEL__MAX ? names[level] : "unknown";
}

const char *
catalog_level_str(enum catalog_level level, enum catalog_lang lang)
{
	static const char *const fr[CATALOG_LEVEL__MAX] = { "obligatoire",
		"obligatoire s'il s'applique", "indicatif" };
	static const char *const en[CATALOG_LEVEL__MAX] = { "required",
		"required when it applies", "advisory" };

	if ((unsigned)level >= CATALOG_LEVEL__MAX)
		return "?";
	return lang == CATALOG_FR ? fr[level] : en[level];
}

/* {title, why, fix} of e in lang (NULL on ENOMEM). */
static json_t *
text_json(const struct catalog_entry *e, enum catalog_lang lang)
{
	const struct catalog_text *t = &e->text[lang];

	return json_pack("{s:s,s:s,s:s}", "title", t->title, "why", t->why,
	    "fix", t->fix);
}

json_t *
catalog_to_json(int only)
{
	json_t *o, *arr, *c;
	size_t i;
	int l;

	o = json_pack("{s:i}", "catalog_version", CATALOG_VERSION);
	arr = json_array();
	if (o == NULL || arr == NULL)
		goto fail;
	for (i = 0; i < NENTRIES; i++) {
		const struct catalog_entry *e = &entries[i];

		c = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s*}", "id", e->id, "kind",
		    e->kind, "level", catalog_level_name(e->level), "rule",
		    e->rule, "doc", e->doc, "spec", e->spec);
		if (c == NULL || json_array_append_new(arr, c) != 0)
			goto fail;
		for (l = 0; l < CATALOG_LANG__MAX; l++) {
			if (only >= 0 && l != only)
				continue;
			if (json_object_set_new(c,
			        catalog_lang_str((enum catalog_lang)l),
			        text_json(e, (enum catalog_lang)l)) != 0)
				goto fail;
		}
	}
	if (json_object_set_new(o, "checks", arr) != 0) {
		arr = NULL;
		goto fail;
	}
	return o;
fail:
	json_decref(arr);
	json_decref(o);
	return NULL;
}

void
catalog_print_entry_text(FILE *f, const struct catalog_entry *e,
    enum catalog_lang lang)
{
	const struct catalog_text *t = &e->text[lang];
	int fr = lang == CATALOG_FR;

	fprintf(f, "%s (%s, %s)\n  %s\n  %s %s\n  %s %s\n  %s %s%s%s\n\n",
	    e->id, e->kind, catalog_level_str(e->level, lang), t->title,
	    fr ? "Pourquoi :" : "Why:", t->why,
	    fr ? "Corriger :" : "Fix:", t->fix,
	    fr ? "Source :" : "Source:", e->doc, e->spec != NULL ? "; " : "",
	    e->spec != NULL ? e->spec : "");
}

void
catalog_print_text(FILE *f, enum catalog_lang lang)
{
	size_t i;

	for (i = 0; i < NENTRIES; i++)
		catalog_print_entry_text(f, &entries[i], lang);
}

/* The kinds, in the order docs/checks.md presents them. */
static const struct {
	const char *kind;
	const char *title;
	const char *intro;
} kinds[] = {
	{ "franceconnect",
	    "Catalogue: FranceConnect (`raccord check`, `raccord verify`)",
	    "Recorded in a section of kind `franceconnect`, one per claimed "
	    "FranceConnect integration." },
	{ "api", "Catalogue: national APIs (`raccord check`, `raccord verify`)",
	    "Recorded in a section of kind `api`, one per claimed API "
	    "(docs/apis.md)." },
	{ "conformance",
	    "Catalogue: active conformance (`raccord conformance`)",
	    "Recorded in a section of kind `conformance`; inside that report "
	    "every check is required, and the section is advisory for the "
	    "award (docs/conformance.md)." },
};

/* A doc reference as a Markdown link relative to docs/. */
static void
md_doc(FILE *f, const char *doc)
{
	const char *rel = strncmp(doc, "docs/", 5) == 0 ? doc + 5 : doc;

	fprintf(f, "[%s](%s)", doc, rel);
}

void
catalog_print_markdown(FILE *f, int only)
{
	static const char *const abbrev[CATALOG_LEVEL__MAX] = { "R", "R*",
		"A" };
	size_t k, i;
	int l;

	fprintf(f,
	    "Catalogue version %d, %zu checks. **R** = required (decides the "
	    "verdict), **R\\*** = required when it applies (else `skip`), "
	    "**A** = advisory (reported, never decides).\n",
	    CATALOG_VERSION, (size_t)NENTRIES);
	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		fprintf(f,
		    "\n## %s\n\n%s\n\n| id | R/A | rule |\n|---|---|---|\n",
		    kinds[k].title, kinds[k].intro);
		for (i = 0; i < NENTRIES; i++)
			if (strcmp(entries[i].kind, kinds[k].kind) == 0)
				fprintf(f, "| `%s` | %s | %s |\n",
				    entries[i].id, abbrev[entries[i].level],
				    entries[i].rule);
		for (i = 0; i < NENTRIES; i++) {
			const struct catalog_entry *e = &entries[i];

			if (strcmp(e->kind, kinds[k].kind) != 0)
				continue;
			fprintf(f, "\n### `%s`\n\n", e->id);
			for (l = 0; l < CATALOG_LANG__MAX; l++) {
				const struct catalog_text *t = &e->text[l];
				int fr = l == CATALOG_FR;

				if (only >= 0 && l != only)
					continue;
				fprintf(f,
				    "- **%s** (%s) — %s. %s %s **%s** %s\n",
				    fr ? "FR" : "EN",
				    catalog_level_str(e->level,
				        (enum catalog_lang)l),
				    t->title, fr ? "*Pourquoi :*" : "*Why:*",
				    t->why, fr ? "Corriger :" : "Fix:", t->fix);
			}
			fprintf(f, "- Source: ");
			md_doc(f, e->doc);
			if (e->spec != NULL)
				fprintf(f, "; %s", e->spec);
			fprintf(f, "\n");
		}
	}
}

enum rc_code
catalog_explain_report_json(json_t *report, enum catalog_lang lang)
{
	json_t *secs = json_object_get(report, "integrations"), *sec, *chk, *x;
	const struct catalog_entry *e;
	size_t i, j;

	if (!json_is_array(secs) || (unsigned)lang >= CATALOG_LANG__MAX)
		return RC_EINVAL;
	json_array_foreach(secs, i, sec)
	{
		json_array_foreach(json_object_get(sec, "checks"), j, chk)
		{
			e = catalog_find(
			    json_string_value(json_object_get(chk, "id")));
			if (e == NULL)
				continue;
			x = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s*}", "lang",
			    catalog_lang_str(lang), "level",
			    catalog_level_name(e->level), "title",
			    e->text[lang].title, "why", e->text[lang].why,
			    "fix", e->text[lang].fix, "doc", e->doc, "spec",
			    e->spec);
			if (x == NULL ||
			    json_object_set_new(chk, "explanation", x) != 0)
				return RC_ENOMEM;
		}
	}
	return RC_OK;
}
