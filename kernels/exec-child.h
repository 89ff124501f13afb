/* exec-child.h - the co-process of an exec kernel: starting it with
 * pipes on its three standard descriptors, and ending it, politely
 * first.  The kernel (exec.c) speaks JSON lines over the pipes. */
#ifndef RK_EXEC_CHILD_H
#define RK_EXEC_CHILD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>

/* The last bytes the command wrote to its standard error, for the
 * message that says why it failed. */
#define EXEC_TAIL 256

struct exec_child {
	pid_t pid;                      /* 0: none (not started or reaped) */
	int in, out, err;               /* our ends; -1 once closed */
	bool reaped;
	int status;                     /* waitpid's, once reaped */
	char tail[EXEC_TAIL];           /* stderr's last bytes, a ring */
	size_t tail_len, tail_end;
};

/* What to start: path is the program (found on PATH already), argv and
 * envp as for execve, dir the working directory (NULL: ours). */
struct exec_spec {
	const char *path;
	char *const *argv;
	char *const *envp;
	const char *dir;
};

/* Start the command: its own process group (a Ctrl-C at the terminal
 * is ringctl's to handle, and the group is killed as one), killed when
 * the calling thread ends (PR_SET_PDEATHSIG: call it from the thread
 * that lives as long as the command should), default signal handling,
 * no descriptor but the three pipes.  The calling thread blocks
 * SIGPIPE: a command that stops reading is an EPIPE there, never a
 * signal that ends the whole program.  Returns 0, or an errno, with
 * why (for a failed exec, its errno comes back through a pipe). */
int exec_child_start(struct exec_child *c, const struct exec_spec *s,
		     char *why, size_t cap);

/* Read what the command wrote to its standard output into buf (len
 * bytes there, cap at most), without waiting.  True once the output
 * has ended (c->out is then closed). */
bool exec_child_read(struct exec_child *c, char *buf, size_t *len,
		     size_t cap);

/* Write what of iov (n_iov pieces) goes into its input without
 * waiting; iov and n_iov then say what is left (none: n_iov 0).  0, or
 * an errno (EPIPE: it stopped reading). */
int exec_child_write(struct exec_child *c, struct iovec **iov, int *n_iov);

/* Wait up to ms for room in its input (when `writing`), for its output
 * (when `reading`) or its standard error, which is passed on. */
void exec_child_wait(struct exec_child *c, bool writing, bool reading,
		     int ms);

/* Read what the command wrote to its standard error, without waiting:
 * copied to ours (nothing the command says is lost) and kept in the
 * tail.  False once it is closed. */
bool exec_child_drain_stderr(struct exec_child *c);

/* Close the command's standard input: it sees the end. */
void exec_child_close_input(struct exec_child *c);

/* Reap it if it has exited (wait: block until it does); true once
 * reaped. */
bool exec_child_reap(struct exec_child *c, bool wait);

/* Send a signal to its process group. */
void exec_child_signal(struct exec_child *c, int sig);

/* "exited with status 3", "was killed by signal 9 (Killed)" and the
 * tail of its standard error, if any, into out. */
void exec_child_describe(const struct exec_child *c, char *out, size_t cap);

/* The end of a command that failed or was stopped: its input closed,
 * a second for it to exit (then SIGKILL), its standard error read to
 * the end for a second at most (a process that left its group may hold
 * it open), so that exec_child_describe has its last words. */
void exec_child_end(struct exec_child *c);

/* Milliseconds of CLOCK_MONOTONIC, for the waits' deadlines. */
unsigned long long exec_child_now_ms(void);

/* Kill what is left of it and reap it; close our ends. */
void exec_child_kill(struct exec_child *c);

#endif /* RK_EXEC_CHILD_H */
