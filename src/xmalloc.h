/* xmalloc.h - allocation that never returns NULL: out of memory ends
 * the command with a message. */
#ifndef RINGCTL_XMALLOC_H
#define RINGCTL_XMALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* RINGCTL_XMALLOC_H */
