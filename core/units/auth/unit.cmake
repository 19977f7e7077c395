# The auth unit hashes with OpenSSL's libcrypto (MD5, SHA-256, HMAC, RAND).
target_link_libraries(unit_${unit} PRIVATE PkgConfig::CRYPTO)
