#ifndef XC_LINGER_H
#define XC_LINGER_H

/* Lingering close for connections refused with 413 before their body was read.
 *
 * Closing a socket whose peer is still sending makes the kernel answer with a reset, and a
 * client that is busy uploading then sees "connection reset" instead of the 413 already sent to
 * it. So the server keeps its own duplicate of such a socket for a short while: after the
 * reply it half-closes (FIN) and reads and drops whatever arrives, until the peer closes, a
 * deadline passes or a byte cap is reached, then closes. One thread serves every such socket;
 * nothing read is stored or parsed. */

/* Starts the thread. Returns 0, or -1 when it cannot (then refused sockets close at once). */
int linger_start(void);
/* Takes ownership of fd (a duplicate of a refused connection's socket whose reply has been
 * queued): half-closes it and drains it in the background. Closes it at once when the thread
 * is not running or already holds the maximum number of sockets. */
void linger_add(int fd);
/* Stops the thread and closes every socket it holds. */
void linger_stop(void);

#endif
