# make_certs DIR: a test CA and certificates signed by it, made with openssl (P-256 keys):
#   ca.pem/ca.key          the CA
#   server.pem/server.key  lunasip's certificate: DNS:localhost, IP:127.0.0.1
#   peer.pem/peer.key      a peer's certificate: DNS:localhost, IP:127.0.0.1
#   expired.pem/.key       signed by the CA, expired a day before it starts
#   rogue.pem/rogue.key    self-signed (no CA vouches for it): DNS:localhost, IP:127.0.0.1
make_certs() {
    local d=$1 n
    mkdir -p "$d"
    command -v openssl >/dev/null || fail "openssl not installed"
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$d/san.ext"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$d/ca.key" -out "$d/ca.pem" \
        -days 2 -subj /CN=lunasip-test-ca 2>>"$d/openssl.log" || fail "openssl: cannot make the CA"
    for n in server peer expired; do
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$d/$n.key" -out "$d/$n.csr" \
            -subj "/CN=$n" 2>>"$d/openssl.log" &&
            openssl x509 -req -in "$d/$n.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
                -days "$([ $n = expired ] && echo -1 || echo 2)" -extfile "$d/san.ext" -out "$d/$n.pem" \
                2>>"$d/openssl.log" || fail "openssl: cannot make $n.pem"
    done
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$d/rogue.key" -out "$d/rogue.pem" \
        -days 2 -subj /CN=rogue -addext subjectAltName=DNS:localhost,IP:127.0.0.1 2>>"$d/openssl.log" ||
        fail "openssl: cannot make rogue.pem"
}
