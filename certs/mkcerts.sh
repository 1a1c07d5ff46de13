#!/bin/sh
# Make a throw-away test CA and server certificates for raccord-sim, the
# unit tests and the demo.  Never a production key.
#
#   sh certs/mkcerts.sh OUTDIR
#
# OUTDIR receives:
#   ca.pem                 the test CA (give it to raccord as network.ca_file)
#   server.pem/.key        valid leaf for the simulated hosts (*.test names,
#                          localhost, 127.0.0.1, ::1)
#   expired.pem/.key       same names, expired (notAfter in the past)
#   wronghost.pem/.key     valid, but only for wrong.invalid
#   selfsigned.pem/.key    self-signed, not under the test CA
#   soon.pem/.key          same names, expires in 10 days
#   fleet.pem/.key         valid leaf for the real-software fleet
#                          (tests/fleet, docs/fleet.md): fc.fleet.test and
#                          *.rp.fleet.test, 127.0.0.1
# Idempotent: an OUTDIR that already holds ca.pem is left as is.
set -eu
out=${1:?usage: mkcerts.sh OUTDIR}
[ -f "$out/ca.pem" ] && [ -f "$out/soon.pem" ] && [ -f "$out/fleet.pem" ] && exit 0
mkdir -p "$out"
cd "$out"
umask 077

NAMES="DNS:fc.test,DNS:fcplus.test,DNS:portal.test,DNS:mairie.test,DNS:api-particulier.test,DNS:api-entreprise.test,DNS:datapass.test,DNS:dgfip.test,DNS:localhost,IP:127.0.0.1,IP:::1"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout ca.key -out ca.pem -days 3650 -subj "/CN=raccord test CA" \
	-addext "basicConstraints=critical,CA:TRUE" \
	-addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null

leaf() { # name san days-or-dates...
	name=$1 san=$2; shift 2
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$name.key" -out "$name.csr" -subj "/CN=${name}" 2>/dev/null
	printf 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\n' \
		"$san" > "$name.ext"
	openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key \
		-CAcreateserial -out "$name.pem" -extfile "$name.ext" "$@" 2>/dev/null
	rm -f "$name.csr" "$name.ext"
}
leaf server "$NAMES" -days 825
leaf soon "$NAMES" -days 10
leaf wronghost "DNS:wrong.invalid" -days 825
leaf fleet "DNS:fc.fleet.test,DNS:rp.fleet.test,DNS:*.rp.fleet.test,IP:127.0.0.1" -days 825
# Expired: OpenSSL 3.0's x509 has no -not_after, so sign with a CA config
# whose validity ended yesterday via the "ca" command.
mkdir -p caroot
: > caroot/index.txt
echo 1000 > caroot/serial
cat > caroot/ca.cnf <<CNF
[ ca ]
default_ca = test
[ test ]
dir = caroot
database = caroot/index.txt
serial = caroot/serial
new_certs_dir = caroot
certificate = ca.pem
private_key = ca.key
default_md = sha256
policy = any
copy_extensions = none
unique_subject = no
[ any ]
commonName = supplied
[ ext ]
basicConstraints = CA:FALSE
extendedKeyUsage = serverAuth
subjectAltName = $NAMES
CNF
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout expired.key -out expired.csr -subj "/CN=expired" 2>/dev/null
openssl ca -batch -config caroot/ca.cnf -extensions ext -in expired.csr \
	-out expired.pem -startdate 20200101000000Z -enddate 20210101000000Z \
	-notext 2>/dev/null
rm -rf expired.csr caroot
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout selfsigned.key -out selfsigned.pem -days 825 \
	-subj "/CN=selfsigned" -addext "subjectAltName=$NAMES" 2>/dev/null
chmod 0644 ./*.pem
chmod 0600 ./*.key
