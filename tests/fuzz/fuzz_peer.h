/* A client connection to one of our listeners, for the targets fed through a real socket. */
#ifndef FUZZ_PEER_H
#define FUZZ_PEER_H
#include "fuzz_common.h"
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

/* Connect to 127.0.0.1:port, send data, half-close, and run the loop until the server closes
 * (or ~200 turns pass, e.g. a route still waiting); what comes back is read and dropped. */
static inline void fuzz_peer_send(int port, const uint8_t *data, size_t size)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof sin) != 0) {
        if (fd >= 0)
            close(fd);
        return;
    }
    size_t off = 0;
    for (int turns = 0; turns < 200; turns++) {
        if (off < size) {
            ssize_t n = send(fd, data + off, size - off, MSG_DONTWAIT | MSG_NOSIGNAL);
            if (n > 0)
                off += (size_t)n;
            if (off == size)
                shutdown(fd, SHUT_WR);
        } else if (size == 0 && turns == 0) {
            shutdown(fd, SHUT_WR);
        }
        fuzz_drain();
        char buf[4096];
        ssize_t r = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
            break;
    }
    close(fd);
    fuzz_drain();
}

#endif
