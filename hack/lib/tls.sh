# A private certificate authority for servers started with TLS (hack/stack's TLS
# options, the tests of encrypted and authenticated transport). Sourced, not run.
#
#   make_tls_certs <dir>   writes, once per directory:
#     ca.crt / ca.key          the authority clients trust
#     server.crt / server.key  for 127.0.0.1 and localhost (SANs), signed by it
#     client.crt / client.key  a client identity signed by it (mutual TLS)
#     other-ca.crt             an authority that signed nothing here: a client trusting
#                              only it must refuse the server
#     wrong-host.crt / .key    signed by ca.crt for another name (identity checks)
# Keys are EC P-256: fast to make, accepted by OpenSSL, Node, Redis, MariaDB and Java.

make_tls_certs() {
  local d=$1
  [[ -f $d/wrong-host.crt ]] && return 0
  command -v openssl >/dev/null || apt_install openssl
  mkdir -p "$d"
  local days=3650 ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
  openssl req -x509 "${ec[@]}" -days "$days" -subj "/CN=rediclaim test CA" \
    -keyout "$d/ca.key" -out "$d/ca.crt" 2>/dev/null
  openssl req -x509 "${ec[@]}" -days "$days" -subj "/CN=rediclaim other CA" \
    -keyout "$d/other-ca.key" -out "$d/other-ca.crt" 2>/dev/null
  _tls_leaf "$d" server "/CN=127.0.0.1" "subjectAltName=IP:127.0.0.1,DNS:localhost
extendedKeyUsage=serverAuth"
  _tls_leaf "$d" client "/CN=rediclaim-client" "extendedKeyUsage=clientAuth"
  _tls_leaf "$d" wrong-host "/CN=elsewhere.invalid" "subjectAltName=DNS:elsewhere.invalid
extendedKeyUsage=serverAuth"
  chmod 600 "$d"/*.key
}

_tls_leaf() { # dir name subject extensions
  local d=$1 name=$2
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "$3" \
    -keyout "$d/$name.key" -out "$d/$name.csr" 2>/dev/null
  printf '%s\n' "$4" >"$d/$name.ext"
  openssl x509 -req -in "$d/$name.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
    -days 3650 -extfile "$d/$name.ext" -out "$d/$name.crt" 2>/dev/null
  rm -f "$d/$name.csr" "$d/$name.ext"
}
