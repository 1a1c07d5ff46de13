# Minimal Apache 2.4 + mod_auth_openidc launcher for the conformance
# tests (sourced, POSIX sh).  Everything lives under one directory of its
# own (ServerRoot, PidFile, logs, runtime dir); it listens on one loopback
# port; it works as root (workers run as nobody) and as an ordinary user.
# The caller stops it with apache_stop from its trap.
#
#   apache_start DIR PORT METADATA_URL CLIENT_ID SECRET_FILE CA_FILE CERT KEY
#     Protected page:  https://127.0.0.1:PORT/protected/index.html
#     Redirect URI:    https://127.0.0.1:PORT/protected/redirect_uri
#     Logout:          https://127.0.0.1:PORT/protected/redirect_uri?logout=
#                      https%3A%2F%2F127.0.0.1%3APORT%2Fau-revoir.html
#     After logout:    https://127.0.0.1:PORT/au-revoir.html
#   apache_stop DIR
# When started as root the workers run as nobody: every directory above
# DIR must be searchable by others (chmod o+x; no listing needed).
#
# Missing Apache or mod_auth_openidc is an error the caller reports as a
# FAILED test (bash .ci/setup installs apache2 libapache2-mod-auth-openidc).

APACHE_BIN=${APACHE_BIN:-/usr/sbin/apache2}
APACHE_MODS=${APACHE_MODS:-/usr/lib/apache2/modules}

apache_missing() {
	[ -x "$APACHE_BIN" ] || { echo "apache2 not found at $APACHE_BIN"; return 0; }
	[ -f "$APACHE_MODS/mod_auth_openidc.so" ] ||
		{ echo "mod_auth_openidc not found in $APACHE_MODS"; return 0; }
	return 1
}

apache_start() {
	ad=$1 aport=$2 meta=$3 cid=$4 secret_file=$5 ca=$6 cert=$7 key=$8
	mkdir -p "$ad/htdocs/protected" "$ad/run" "$ad/logs"
	# Workers (nobody when started as root) read the pages only.
	chmod 755 "$ad" "$ad/htdocs" "$ad/htdocs/protected"
	echo "<html><body><h1>Espace citoyen</h1><p>Bienvenue.</p></body></html>" \
		>"$ad/htdocs/protected/index.html"
	echo "<html><body><p>Au revoir.</p></body></html>" >"$ad/htdocs/au-revoir.html"
	chmod 644 "$ad/htdocs/protected/index.html" "$ad/htdocs/au-revoir.html"
	user_lines=
	if [ "$(id -u)" -eq 0 ]; then
		# Say so here rather than let mod_auth_openidc answer 500
		# (seen with a clone under a mktemp -d directory, mode 0700).
		for f in "$ad" "$ca"; do
			p=$(cd "$(dirname "$f")" && pwd)
			while :; do
				if [ -n "$(find "$p" -maxdepth 0 ! -perm -o+x)" ]; then
					echo "apache_start: $p is not searchable by others (chmod o+x): the workers run as nobody and read $f"
					return 1
				fi
				[ "$p" = / ] && break
				p=$(dirname "$p")
			done
		done
		grp=nogroup
		getent group nogroup >/dev/null 2>&1 || grp=nobody
		user_lines="User nobody
Group $grp"
	fi
	pass=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
	# The secret goes into the config file, which only the caller reads.
	secret=$(cat "$secret_file")
	umask 077
	cat >"$ad/httpd.conf" <<CONF
ServerRoot "$ad"
ServerName 127.0.0.1
Listen 127.0.0.1:$aport
PidFile "$ad/run/httpd.pid"
DefaultRuntimeDir "$ad/run"
Mutex file:$ad/run default
ErrorLog "$ad/logs/error.log"
LogLevel warn auth_openidc:info
$user_lines
LoadModule mpm_event_module $APACHE_MODS/mod_mpm_event.so
LoadModule authz_core_module $APACHE_MODS/mod_authz_core.so
LoadModule authn_core_module $APACHE_MODS/mod_authn_core.so
LoadModule ssl_module $APACHE_MODS/mod_ssl.so
LoadModule auth_openidc_module $APACHE_MODS/mod_auth_openidc.so
StartServers 1
ServerLimit 1
ThreadsPerChild 8
MaxRequestWorkers 8
DocumentRoot "$ad/htdocs"
<Directory />
	AllowOverride None
</Directory>
SSLEngine on
SSLCertificateFile "$cert"
SSLCertificateKeyFile "$key"

OIDCProviderMetadataURL $meta
OIDCClientID $cid
OIDCClientSecret $secret
OIDCRedirectURI https://127.0.0.1:$aport/protected/redirect_uri
OIDCCryptoPassphrase $pass
OIDCScope "openid given_name family_name birthdate"
OIDCAuthRequestParams acr_values=eidas1
OIDCProviderTokenEndpointAuth client_secret_post
OIDCIDTokenSignedResponseAlg ES256
OIDCUserInfoSignedResponseAlg ES256
OIDCCABundlePath "$ca"
OIDCSSLValidateServer On

<Location /protected/>
	AuthType openid-connect
	# FranceConnect: the eIDAS level must be the one asked for.
	Require claim acr:eidas1
</Location>
CONF
	umask 022
	"$APACHE_BIN" -f "$ad/httpd.conf" -k start >"$ad/logs/start.out" 2>&1 || {
		cat "$ad/logs/start.out" "$ad/logs/error.log" 2>/dev/null
		return 1
	}
	i=0
	while [ ! -s "$ad/run/httpd.pid" ]; do
		i=$((i + 1))
		[ $i -gt 100 ] && { echo "apache did not start"; cat "$ad/logs/error.log"; return 1; }
		sleep 0.1
	done
	return 0
}

apache_stop() {
	ad=$1
	[ -s "$ad/run/httpd.pid" ] || return 0
	pid=$(cat "$ad/run/httpd.pid")
	kill "$pid" 2>/dev/null
	i=0
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do
		i=$((i + 1))
		sleep 0.1
	done
}

# free_port: a loopback TCP port nobody listens on right now.
free_port() { python3 tests/integration/free_port.py; }
