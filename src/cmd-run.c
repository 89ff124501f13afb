/* cmd-run.c - `ringctl run`: a one-off topology (a YAML file or an
 * inline pipeline), in process, from standard input to standard output.
 *
 * Three threads: the reader decodes JSON lines and sends them, in
 * batches, to every kernel that stdin feeds; the kernels run on their
 * own threads; this thread receives what reaches stdout, encodes and
 * writes.  The end of
 * input travels through the kernels (stateful ones flush), so the run
 * ends once everything in flight has come out.  A bad line, a failing
 * kernel or a signal stops the reading; what was sent still drains.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "exitcode.h"
#include "fd-read.h"
#include "local-runtime.h"
#include "mpi.h"
#include "log.h"
#include "plugin-path.h"
#include "xmalloc.h"

#define BATCH 256
#define BLOCK (4u << 20)        /* read from stdin at once */
#define OUT_BUFFER (1u << 20)

struct run {
	rk_runtime *rt;
	rk_topology *topo;
	const char **targets;           /* what stdin feeds */
	size_t n_targets;
	const char *output;             /* what stdout reads */
	const rk_type *out_type;
	size_t max_line;
	bool skip;                      /* --on-error=skip */
	unsigned json_flags;            /* --unknown-fields=ignore */
	bool envelope;
	bool progress;
	bool verbose;                   /* -v, for the other threads */
	int stop_pipe[2];               /* a byte in it stops the reader */
	atomic_int signal;              /* SIGINT or SIGTERM received */
	double drain_timeout;           /* after it, seconds to drain */
	atomic_bool stop_asked;
	atomic_bool abandoned;          /* nobody reads: failures don't count */
	int rank;                       /* under mpirun; else 0 */

	/* The reader's account. */
	char **files;                   /* what to read; none: stdin */
	size_t n_files;
	uint64_t bytes_read, bytes_total; /* total: 0 where not known */
	bool read_failed;               /* a file could not be read (said) */
	struct timespec started;        /* for --progress's time left */
	uint64_t sent;                  /* into the first target */
	rk_jsonl_account input;         /* once the reading ended */
	bool data_error;
	/* A send or the end of input refused (out of memory, say): what
	 * was read did not all go in, and the end may never come out. */
	atomic_bool input_failed;

	/* Kernel failures, from the kernels' threads. */
	pthread_mutex_t lock;
	uint64_t kernel_errors;
	char kernel_error[512];
	/* The same kernel failing the same way again (a command that died
	 * fails every message after): said once, then counted. */
	char said_kernel[128], said_reason[512];
	uint64_t not_said;

	/* The writer's. */
	rk_jsonl_writer *out;
	uint64_t written;
	bool epipe;
	int write_errno;
};

static void ask_stop(struct run *r)
{
	if (!atomic_exchange(&r->stop_asked, true))
		(void)!write(r->stop_pipe[1], "s", 1);
}

/* ---- the kernels' failures ----------------------------------------- */

static void on_kernel_error(void *arg, const char *kernel, uint64_t message,
			    const char *reason)
{
	struct run *r = arg;

	/* Messages cut off by an abandoned run are not the kernel's fault. */
	if (atomic_load(&r->abandoned))
		return;
	pthread_mutex_lock(&r->lock);
	r->kernel_errors++;
	snprintf(r->kernel_error, sizeof(r->kernel_error),
		 "%s: message %llu: %s", kernel, (unsigned long long)message,
		 reason);
	bool again = strcmp(kernel, r->said_kernel) == 0
		     && strcmp(reason, r->said_reason) == 0;
	if (again && !r->verbose) {
		r->not_said++;
	} else if (!r->skip || r->verbose) {
		log_error("%s", r->kernel_error);
		snprintf(r->said_kernel, sizeof(r->said_kernel), "%s", kernel);
		snprintf(r->said_reason, sizeof(r->said_reason), "%s", reason);
	}
	pthread_mutex_unlock(&r->lock);
	if (!r->skip)
		ask_stop(r);
}

/* ---- reading ------------------------------------------------------- */

/* Whether a send (or the end of input) that came back rc failed the
 * run: not when it went in, when nobody reads on, when a stop was asked,
 * nor when the kernel had failed (RK_ESTATE): the writer names that.
 * Else (out of memory, say) what was read did not all go in, and the
 * end may never come out: the writer stops on it. */
static bool input_refused(struct run *r, rk_error rc)
{
	if (rc == RK_OK || rc == RK_ESTATE || atomic_load(&r->abandoned)
	    || atomic_load(&r->stop_asked))
		return false;
	atomic_store(&r->input_failed, true);
	return true;
}

/* The input failed: the end will not come, so the writer, which waits
 * for it, is woken by ending the kernels; the run then fails. */
static void end_for_failed_input(struct run *r)
{
	atomic_store(&r->abandoned, true);
	ask_stop(r);
	rk_terminate_all(r->rt, 0);
}

/* A batch of JSON lines, decoded, into a kernel stdin feeds; a stop
 * asked for ends the reading here. */
static rk_error send_to_target(void *arg, size_t target,
			       const void *const *msgs, const size_t *lens,
			       size_t count, size_t *taken)
{
	struct run *r = arg;

	*taken = 0;
	if (atomic_load(&r->stop_asked))
		return RK_ESTATE;       /* the run was stopped */
	rk_error rc = rk_send_batch(r->rt, r->targets[target], msgs, lens,
				    count, RK_FOREVER, taken);
	if (target == 0)
		__atomic_add_fetch(&r->sent, *taken, __ATOMIC_RELAXED);
	if (input_refused(r, rc))
		log_error("%s", rk_errmsg());
	return rc;
}

/* With -v, each bad line skipped is said as it comes. */
static void say_skipped(void *arg, const char *what)
{
	struct run *r = arg;

	if (r->skip && r->verbose)
		log_error("%s (skipped)", what);
}

static rk_jsonl_reader *new_reader(struct run *r)
{
	rk_jsonl_reader_options o = RK_JSONL_READER_OPTIONS_INIT;
	rk_jsonl_reader *reader;

	o.max_line = r->max_line;
	o.batch = BATCH;
	o.skip = r->skip;
	o.deliver = send_to_target;
	o.deliver_arg = r;
	o.on_bad_line = say_skipped;
	o.on_bad_line_arg = r;
	o.json_flags = r->json_flags;
	if (rk_jsonl_reader_new(&o, &reader) != RK_OK)
		fatal("%s", rk_errmsg());
	for (size_t i = 0; i < r->n_targets; i++)
		if (rk_jsonl_reader_target(reader, r->targets[i],
					   rk_topology_input_type(r->topo, i),
					   0) != RK_OK)
			fatal("%s", rk_errmsg());
	return reader;
}

/* Open a source: "-" is standard input; -1 after saying why. */
static int open_source(struct run *r, const char *name)
{
	int fd = strcmp(name, "-") == 0 ? STDIN_FILENO
		 : open(name, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		log_error("%s: %s", name, strerror(errno));
		r->read_failed = true;
	}
	return fd;
}

/* One source, line by line into the pipeline: RK_OK once it is read
 * to its end, or the reader's error; *stopped when a stop came. */
static rk_error read_source(struct run *r, rk_jsonl_reader *reader, int fd,
			    const char *name, char *block, bool *stopped)
{
	rk_error rc = RK_OK;
	ssize_t n;

	rk_jsonl_reader_source(reader, strcmp(name, "-") == 0 ? "<stdin>"
				       : name);
	/* A bigger pipe means fewer reads and wake-ups (Linux only). */
#ifdef F_SETPIPE_SZ
	(void)fcntl(fd, F_SETPIPE_SZ, 1 << 20);
#endif
	/* What one read brings goes on at once: input that pauses does
	 * not hold back the lines before. */
	while (rc == RK_OK
	       && (n = fd_read_some(fd, r->stop_pipe[0], block, BLOCK)) > 0) {
		__atomic_add_fetch(&r->bytes_read, (uint64_t)n,
				   __ATOMIC_RELAXED);
		if ((rc = rk_jsonl_reader_push(reader, block, (size_t)n,
					       BLOCK + RK_JSON_PADDING))
		    == RK_OK)
			rc = rk_jsonl_reader_flush(reader);
	}
	if (rc != RK_OK)
		return rc;
	if (n == FD_READ_STOPPED) {
		*stopped = true;
		return RK_OK;
	}
	if (n < 0) {
		log_error("%s: %s", strcmp(name, "-") == 0 ? "<stdin>" : name,
			  strerror(errno));
		r->read_failed = true;
		return RK_OK;   /* what it gave stays sent; the next goes on */
	}
	return rk_jsonl_reader_end(reader);
}

/* The sources one after the other (standard input where none is
 * named), as cat reads them: one that cannot be read is said and
 * skipped, and the run then fails. */
static void *reader_main(void *arg)
{
	struct run *r = arg;
	rk_jsonl_reader *reader = new_reader(r);
	char *block = xmalloc(BLOCK + RK_JSON_PADDING);
	rk_error rc = RK_OK;
	bool stopped = false;
	static char *const just_stdin[] = { "-", NULL };
	char *const *files = r->n_files ? r->files : just_stdin;
	size_t n_files = r->n_files ? r->n_files : 1;

	for (size_t i = 0; i < n_files && rc == RK_OK && !stopped; i++) {
		int fd = open_source(r, files[i]);
		if (fd < 0)
			continue;
		rc = read_source(r, reader, fd, files[i], block, &stopped);
		if (fd != STDIN_FILENO)
			close(fd);
	}
	rk_jsonl_reader_account(reader, &r->input);
	r->data_error = rc == RK_ESCHEMA && r->input.bad[0];
	rk_jsonl_reader_free(reader);
	free(block);
	/* However the reading ended, the end goes through the pipeline so
	 * that what was sent drains and stateful kernels flush.  An end
	 * that cannot go in would leave the writer waiting for it: the run
	 * is failed instead. */
	for (size_t i = 0; i < r->n_targets; i++)
		if (input_refused(r, rk_send_end(r->rt, r->targets[i],
						 RK_FOREVER))) {
			log_error("the end of the input did not go in: %s",
				  rk_errmsg());
		}
	if (atomic_load(&r->input_failed))
		end_for_failed_input(r);
	return NULL;
}

/* ---- writing ------------------------------------------------------- */

/* The JSON lines gathered, to standard output. */
static int write_stdout(void *arg, const char *text, size_t len)
{
	struct run *r = arg;
	size_t done = 0;

	while (done < len && !r->epipe && !r->write_errno) {
		ssize_t n = write(STDOUT_FILENO, text + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EPIPE)
			r->epipe = true;        /* `| head`: end quietly */
		else if (n < 0)
			r->write_errno = errno;
		else
			done += (size_t)n;
	}
	return r->epipe || r->write_errno;
}

/* The bytes the sources hold, when every one is a regular file (stdin
 * too, when it is redirected from one); else 0: not known. */
static uint64_t input_size(char *const *files, size_t n)
{
	uint64_t total = 0;
	struct stat st;

	if (n == 0)
		return fstat(STDIN_FILENO, &st) == 0 && S_ISREG(st.st_mode)
		       ? (uint64_t)st.st_size : 0;
	for (size_t i = 0; i < n; i++) {
		int ok = strcmp(files[i], "-") == 0
			 ? fstat(STDIN_FILENO, &st) : stat(files[i], &st);
		if (ok != 0 || !S_ISREG(st.st_mode))
			return 0;
		total += (uint64_t)st.st_size;
	}
	return total;
}

/* A progress line on the terminal, at most every half second, as pv
 * shows one: counts, the rate over the last interval and, when the
 * input's size is known, how far and how long is left; wiped at the
 * end. */
static void show_progress(struct run *r, bool last)
{
	static struct timespec shown;
	static uint64_t lines_then;
	struct timespec now;

	if (!r->progress)
		return;
	if (last) {
		fprintf(stderr, "\r\033[K");
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	double since = (double)(now.tv_sec - shown.tv_sec)
		       + (double)(now.tv_nsec - shown.tv_nsec) / 1e9;
	if (since < 0.5)
		return;
	uint64_t in = __atomic_load_n(&r->sent, __ATOMIC_RELAXED);
	uint64_t read = __atomic_load_n(&r->bytes_read, __ATOMIC_RELAXED);
	bool first = shown.tv_sec == 0 && shown.tv_nsec == 0;
	fprintf(stderr, "\r\033[K%s: %llu in, %llu out", PACKAGE_NAME,
		(unsigned long long)in,
		(unsigned long long)rk_jsonl_writer_lines(r->out));
	if (!first)
		fprintf(stderr, ", %.0f lines/s",
			(double)(in - lines_then) / since);
	if (r->bytes_total && read <= r->bytes_total) {
		double done = (double)read / (double)r->bytes_total;
		fprintf(stderr, ", %.0f%%", 100 * done);
		double elapsed = (double)(now.tv_sec - r->started.tv_sec)
				 + (double)(now.tv_nsec - r->started.tv_nsec)
				 / 1e9;
		if (done > 0 && done < 1)
			fprintf(stderr, ", %.0f s left",
				elapsed * (1 - done) / done);
	}
	shown = now;
	lines_then = in;
}

/* A kernel that died leaves the pipeline without its end: say which. */
static bool pipeline_failed(struct run *r)
{
	const char *id;

	for (size_t i = 0; (id = rk_topology_kernel(r->topo, i, NULL)); i++) {
		rk_kernel_info info;
		if (rk_get_kernel_info(r->rt, id, &info) == RK_OK
		    && info.state == RK_STATE_FAILED) {
			if (info.last_error[0])
				log_error("%s failed: %s", id, info.last_error);
			else
				log_error("%s failed", id);
			return true;
		}
	}
	return atomic_load(&r->input_failed);   /* the reader said why */
}

/* For the MPI transport: a kernel of this rank has failed (said). */
static bool kernel_failed(void *arg)
{
	return pipeline_failed(arg);
}

/* rk_receive_pipeline said a kernel failed: named as a kernel that
 * failed, once its state says so (it does within moments: the failure
 * is told just before), else in the library's words. */
static void say_failure(struct run *r)
{
	char why[512];

	snprintf(why, sizeof(why), "%s", rk_errmsg());
	for (int i = 0; i < 1000; i++) {
		if (pipeline_failed(r))
			return;
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	}
	log_error("%s", why);
}

static void count_written(struct run *r)
{
	__atomic_store_n(&r->written, rk_jsonl_writer_lines(r->out),
			 __ATOMIC_RELAXED);
}

/* What reaches stdout, written until its end.  The wait is for output
 * or for a kernel to fail (rk_receive_pipeline), never a poll; it is
 * cut short only while lines wait in the buffer (they go out when the
 * input pauses) or a progress line is shown. */
static int write_all(struct run *r)
{
	rk_jsonl_writer_options o = RK_JSONL_WRITER_OPTIONS_INIT;
	int status = EXIT_OK;
	size_t n, pending;

	o.envelope = r->envelope;
	o.flush_at = OUT_BUFFER;
	o.write = write_stdout;
	o.write_arg = r;
	if (rk_jsonl_writer_new(r->out_type, &o, &r->out) != RK_OK)
		fatal("%s", rk_errmsg());
	for (;;) {
		rk_jsonl_writer_text(r->out, &pending);
		double wait = pending ? 0.2 : r->progress ? 0.5 : RK_FOREVER;
		rk_error rc = rk_receive_pipeline(r->rt, r->output, BATCH, wait,
						  rk_jsonl_writer_take, r->out,
						  &n);
		count_written(r);
		if (rc == RK_EEND || r->epipe || r->write_errno)
			break;
		if (atomic_load(&r->input_failed)) {
			status = EXIT_FAIL;     /* the reader said why */
			break;
		}
		if (rc == RK_ETIMEDOUT) {
			if (rk_jsonl_writer_flush(r->out) != RK_OK)
				break;
		} else if (rc == RK_EKERNEL) {
			say_failure(r);
			status = EXIT_FAIL;
			break;
		} else if (rc != RK_OK) {
			log_error("%s", rk_errmsg());
			status = EXIT_FAIL;
			break;
		}
		show_progress(r, false);
	}
	/* What was taken goes out, also on a failure: it was produced. */
	if (!r->epipe && !r->write_errno)
		rk_jsonl_writer_flush(r->out);
	show_progress(r, true);
	if (r->write_errno) {
		log_error("write error: %s", strerror(r->write_errno));
		return EXIT_FAIL;
	}
	return status;
}

/* ---- signals ------------------------------------------------------- */

/* Ctrl-C and SIGTERM stop the reading, and the run drains; a second
 * one, or a drain longer than --drain-timeout, ends the process at
 * once, saying how far it got (a `timeout` sends one signal: a kernel
 * that never returns must not keep the run for ever).  A drain that
 * takes long says how to stop it. */
static void stop_at_once(struct run *r, int sig, const char *why)
{
	log_error("stopped at once%s: %llu message%s read, %llu line%s "
		  "written; what was in between is lost", why,
		  (unsigned long long)__atomic_load_n(&r->sent,
						      __ATOMIC_RELAXED),
		  r->sent == 1 ? "" : "s",
		  (unsigned long long)__atomic_load_n(&r->written,
						      __ATOMIC_RELAXED),
		  r->written == 1 ? "" : "s");
	_exit(128 + sig);
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec)
	       + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

static void *signal_main(void *arg)
{
	struct run *r = arg;
	struct timespec first;
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	for (;;) {
		int had = atomic_load(&r->signal);
		if (had) {
			/* A hint every 2 s, the end at the drain's limit. */
			double left = r->drain_timeout - seconds_since(&first);
			if (left <= 0)
				stop_at_once(r, had, " (the drain took longer "
					     "than --drain-timeout)");
			double nap = left < 2 ? left : 2;
			struct timespec t = { (time_t)nap,
				(long)((nap - (double)(time_t)nap) * 1e9) };
			sig = sigtimedwait(&set, NULL, &t);
		} else if (sigwait(&set, &sig) != 0) {
			continue;
		}
		if (sig < 0) {
			if (errno == EAGAIN && r->drain_timeout
			    - seconds_since(&first) > 0)
				log_warn("still draining (at most %.0f s more); "
					 "interrupt again to stop at once",
					 r->drain_timeout
					 - seconds_since(&first));
			continue;
		}
		if (atomic_exchange(&r->signal, sig))
			stop_at_once(r, sig, "");
		clock_gettime(CLOCK_MONOTONIC, &first);
		ask_stop(r);
	}
	return NULL;
}

/* ---- across MPI ranks ---------------------------------------------- */

static void say_problem(void *arg, const char *where, const char *what);

/* Under mpirun with several ranks: the ranks checked against the world
 * (by rank 0 only, before MPI starts, so that every rank exits alike),
 * then the transport loaded and this rank's part placed. */
static int place_on_ranks(struct run *r, const rk_launch_options *lo,
			  const struct mpi_transport **out)
{
	int world = mpi_world_size(), size;
	char why[256];
	rk_error rc;

	if ((rc = rk_topology_check_ranks(r->topo, (uint32_t)world,
					  mpi_first_rank() ? say_problem
					  : mpi_quiet_problem,
					  r)) != RK_OK)
		return exit_status_for(rc);
	const struct mpi_transport *mpi = mpi_transport_load();
	if (!mpi)
		return EXIT_FAIL;
	if (mpi->init(&r->rank, &size, why, sizeof(why)) != 0) {
		log_error("%s", why);
		return EXIT_FAIL;
	}
	if (size != world) {
		snprintf(why, sizeof(why), "the launcher said %d ranks, MPI "
			 "says %d", world, size);
		mpi->abort(EXIT_FAIL, why);
		return EXIT_FAIL;
	}
	if ((rc = rk_topology_place(r->topo, (uint32_t)r->rank, mpi->wire,
				    (void *)lo)) != RK_OK) {
		mpi->abort(exit_status_for(rc), rk_errmsg());
		return exit_status_for(rc);
	}
	*out = mpi;
	return EXIT_OK;
}

/* ---- the command --------------------------------------------------- */

static void print_stats(struct run *r)
{
	const char *id;

	for (size_t i = 0; (id = rk_topology_kernel(r->topo, i, NULL)); i++) {
		rk_telemetry t;
		if (rk_get_telemetry(r->rt, id, &t) != RK_OK)
			continue;
		fprintf(stderr, "%s: stats: %s: received %llu, processed %llu, "
			"sent %llu, dropped %llu, errors %llu, latency p50 %llu "
			"ns, p99 %llu ns, %.0f msgs/s over %.3g s active%s%s%s%s%s%s\n",
			PACKAGE_NAME, id,
			(unsigned long long)t.messages_received,
			(unsigned long long)t.messages_processed,
			(unsigned long long)t.messages_sent,
			(unsigned long long)t.messages_dropped,
			(unsigned long long)t.errors,
			(unsigned long long)t.latency_p50_ns,
			(unsigned long long)t.latency_p99_ns, t.throughput,
			t.throughput > 0 ? (double)t.messages_processed
					   / t.throughput : 0.0,
			t.device[0] ? ", on " : "", t.device,
			t.device_link_from[0] ? ", device link from " : "",
			t.device_link_from,
			t.device_link_to[0] ? ", device link to " : "",
			t.device_link_to);
	}
}

/* What the run amounts to, said on stderr, as an exit status. */
static int verdict(struct run *r, int status)
{
	rk_summary sum = { 0 };

	rk_get_summary(r->rt, &sum);
	if (r->read_failed)
		status = EXIT_FAIL;     /* said as it happened */
	if (r->data_error) {
		log_error("%s (%llu message%s sent before it)", r->input.bad,
			  (unsigned long long)r->sent, r->sent == 1 ? "" : "s");
		status = status ? status : EXIT_DATAERR;
	} else if (r->input.skipped) {
		log_warn("skipped %llu bad line%s, the last: %s",
			 (unsigned long long)r->input.skipped,
			 r->input.skipped == 1 ? "" : "s", r->input.bad);
	}
	if (atomic_load(&r->input_failed) && !status)
		status = EXIT_FAIL;
	if (r->not_said)
		log_error("%llu more message%s of %s failed the same way",
			  (unsigned long long)r->not_said,
			  r->not_said == 1 ? "" : "s", r->said_kernel);
	if (r->kernel_errors && r->skip)
		log_warn("%llu message%s failed, the last: %s",
			 (unsigned long long)r->kernel_errors,
			 r->kernel_errors == 1 ? "" : "s", r->kernel_error);
	else if (r->kernel_errors && !status)
		status = EXIT_FAIL;
	if (sum.total_dropped && !r->epipe) {
		log_error("%llu message%s dropped on the way",
			  (unsigned long long)sum.total_dropped,
			  sum.total_dropped == 1 ? "" : "s");
		status = status ? status : EXIT_FAIL;
	}
	if (atomic_load(&r->signal))
		status = 128 + atomic_load(&r->signal);
	if (r->epipe && !r->data_error && !r->kernel_errors)
		status = EXIT_OK;
	return status;
}

static bool is_topology(const char *arg)
{
	size_t n = strlen(arg);
	return (n > 5 && strcmp(arg + n - 5, ".yaml") == 0)
	       || (n > 4 && strcmp(arg + n - 4, ".yml") == 0);
}

/* Problems in a topology, one per line: FILE:LINE:COLUMN: what. */
static void say_problem(void *arg, const char *where, const char *what)
{
	if (arg)
		log_error("%s: %s", where, what);
	else
		log_error("%s", what);  /* inline: no file to point into */
}

/* --param [KERNEL.]KEY=VALUE; ids may hold dots (doubler.2), keys not. */
static int add_param(rk_topology *t, const char *arg)
{
	const char *eq = strchr(arg, '='), *dot = NULL;

	if (!eq || eq == arg)
		return usage_error("--param '%s' is not [KERNEL.]KEY=VALUE", arg);
	for (const char *c = arg; c < eq; c++)
		if (*c == '.')
			dot = c;
	char *kernel = dot ? xasprintf("%.*s", (int)(dot - arg), arg) : NULL;
	char *key = xasprintf("%.*s", (int)(eq - (dot ? dot + 1 : arg)),
			      dot ? dot + 1 : arg);
	rk_error rc = *key ? rk_topology_set_param(t, kernel, key, eq + 1)
			   : RK_EINVAL;
	int status = EXIT_OK;
	if (rc != RK_OK)
		status = usage_error("--param '%s': %s", arg,
				     *key ? rk_errmsg() : "no key");
	free(kernel);
	free(key);
	return status;
}

/* What the options said. */
struct run_opts {
	struct run *r;
	char **params;
	size_t n_params, queue_size;
	bool stats;
	bool unknown_given;             /* --unknown-fields said */
	rk_backend backend;
};

static int run_topology(struct run *r, const struct global_opts *g,
			const char *spec, const struct run_opts *o)
{
	char **params = o->params;
	size_t n_params = o->n_params;
	uint32_t queue_size = (uint32_t)o->queue_size;
	bool stats = o->stats;
	rk_runtime_options ro = RK_RUNTIME_OPTIONS_INIT;
	rk_launch_options lo = RK_LAUNCH_OPTIONS_INIT;
	bool file = is_topology(spec);
	int status;
	rk_error rc;

	if (file && (rc = rk_topology_load(spec, say_problem, r, &r->topo))
	    != RK_OK)
		return exit_status_for(rc);
	ro.telemetry = stats || (r->topo && rk_topology_telemetry(r->topo) > 0);
	/* --unknown-fields, where given, over the topology's word. */
	if (r->topo && !o->unknown_given
	    && rk_topology_unknown_fields(r->topo) == 1)
		r->json_flags = RK_JSON_IGNORE_UNKNOWN;
	ro.on_kernel_error = on_kernel_error;
	ro.on_kernel_error_arg = r;
	r->rt = local_runtime(&ro);
	char *path = plugin_search_path(g);
	if (!file && (rc = rk_topology_inline(spec, r->rt, path, &r->topo))
	    != RK_OK) {
		free(path);
		log_error("%s", rk_errmsg());
		return exit_status_for(rc);
	}
	for (size_t i = 0; i < n_params; i++) {
		if ((status = add_param(r->topo, params[i])) != EXIT_OK) {
			free(path);
			return status;
		}
	}
	rc = rk_topology_check(r->topo, r->rt, path, say_problem,
			       file ? r : NULL);
	free(path);
	if (rc != RK_OK)
		return exit_status_for(rc);
	lo.queue_size = queue_size;
	lo.backend = o->backend;
	lo.max_message = (uint32_t)r->max_line;
	const struct mpi_transport *mpi = NULL;
	if (mpi_world_size() > 1
	    && (status = place_on_ranks(r, &lo, &mpi)) != EXIT_OK)
		return status;
	if ((rc = rk_topology_start(r->topo, r->rt, &lo)) != RK_OK) {
		log_error("%s", rk_errmsg());
		if (mpi)
			mpi->abort(exit_status_for(rc), rk_errmsg());
		return exit_status_for(rc);
	}
	if (mpi)
		mpi->start();
	if (mpi && r->rank != 0) {
		/* Neither stdin nor stdout here: the channels do it all. */
		status = mpi->finish(kernel_failed, r);
		return verdict(r, pipeline_failed(r) ? EXIT_FAIL : status);
	}

	const char *const *ids;
	r->n_targets = rk_topology_inputs(r->topo, &ids);
	r->targets = xcalloc(r->n_targets, sizeof(*r->targets));
	for (size_t i = 0; i < r->n_targets; i++)
		r->targets[i] = mpi ? mpi->input_id(ids[i]) : ids[i];
	r->output = rk_topology_output(r->topo);
	r->out_type = rk_topology_output_type(r->topo);

	pthread_t reader;
	pthread_create(&reader, NULL, reader_main, r);
	status = write_all(r);
	if (r->epipe || status) {
		/* Nobody reads on: stop at once rather than drain. */
		atomic_store(&r->abandoned, true);
		ask_stop(r);
		rk_terminate_all(r->rt, 0);
	}
	pthread_join(reader, NULL);
	if (stats)
		print_stats(r);
	/* Every rank ends with its channels; one that cannot (a stopped
	 * run) ends them all. */
	bool stopped = atomic_load(&r->abandoned);
	if (mpi && !stopped)
		mpi->finish(kernel_failed, r);
	status = verdict(r, status);
	if (mpi && stopped)
		mpi->abort(status, "the run stopped early");
	return status;
}

/* The message of --max-line names the limit. */
_Static_assert(RK_MAX_MESSAGE == 67108864, "--max-line's limit changed");

static const char *const on_error_choices[] = { "fail", "skip", NULL };
static const char *const unknown_choices[] = { "refuse", "ignore", NULL };
/* In the order of rk_backend. */
static const char *const backend_choices[] = { "auto", "cpu", "cuda", NULL };

static const struct cmd_option run_options[] = {
	{ .id = 'p', .name = "param", .letter = 'p', .arg = OPTION_ARG,
	  .metavar = "[KERNEL.]KEY=VALUE",
	  .help = "a kernel parameter (repeatable)" },
	{ .id = 'm', .name = "max-line", .arg = OPTION_ARG, .metavar = "BYTES",
	  .help = "longest input line (default 1048576,\nat most 67108864)",
	  .type = OPTION_COUNT, .max = RK_MAX_MESSAGE,
	  .wants = "a size in bytes from 1 to 67108864" },
	{ .id = 'e', .name = "on-error", .arg = OPTION_ARG,
	  .metavar = "fail|skip", .help = "stop at a bad line or failing "
	  "message\n(default), or count it and go on",
	  .type = OPTION_CHOICE, .choices = on_error_choices },
	{ .id = 'U', .name = "unknown-fields", .arg = OPTION_ARG,
	  .metavar = "refuse|ignore", .help = "a field a typed kernel's input "
	  "does not\nhave: a bad line (default), or passed over",
	  .type = OPTION_CHOICE, .choices = unknown_choices },
	{ .id = 'Q', .name = "queue-size", .arg = OPTION_ARG, .metavar = "N",
	  .help = "messages per queue (default 1000)",
	  .type = OPTION_COUNT, .max = 1u << 24,
	  .wants = "a number of messages" },
	{ .id = 'b', .name = "backend", .arg = OPTION_ARG,
	  .metavar = "auto|cpu|cuda", .help = "where kernels run that the "
	  "topology\ndoes not place (default auto)",
	  .type = OPTION_CHOICE, .choices = backend_choices },
	{ .id = 'E', .name = "envelope",
	  .help = "print each message in its envelope" },
	{ .id = 's', .name = "stats",
	  .help = "print telemetry to stderr at the end" },
	{ .id = 'P', .name = "progress",
	  .help = "show a progress line on a terminal" },
	{ .id = 'D', .name = "drain-timeout", .arg = OPTION_ARG,
	  .metavar = "SECONDS", .help = "after Ctrl-C or SIGTERM, stop at "
	  "once past\nthis (default 10)",
	  .type = OPTION_SECONDS, .wants = "seconds", .zero_ok = true },
	{ 0 }
};

static int take_run_option(void *opts, int id, const struct option_value *v)
{
	struct run_opts *o = opts;

	switch (id) {
	case 'p':
		o->params = xrealloc(o->params,
				     (o->n_params + 1) * sizeof(*o->params));
		o->params[o->n_params++] = (char *)v->arg;
		break;
	case 'm':
		o->r->max_line = (size_t)v->count;
		break;
	case 'e':
		o->r->skip = v->choice == 1;
		break;
	case 'Q':
		o->queue_size = (size_t)v->count;
		break;
	case 's':
		o->stats = true;
		break;
	case 'P':
		o->r->progress = isatty(STDERR_FILENO);
		break;
	case 'E':
		o->r->envelope = true;
		break;
	case 'b':
		o->backend = (rk_backend)v->choice;
		break;
	case 'U':
		o->r->json_flags = v->choice ? RK_JSON_IGNORE_UNKNOWN : 0;
		o->unknown_given = true;
		break;
	case 'D':
		o->r->drain_timeout = v->seconds;
		break;
	}
	return EXIT_OK;
}

static int cmd_run_exec(const struct global_opts *g, int argc, char **argv)
{
	struct run r = { .max_line = 1u << 20, .verbose = log_verbose,
			 .drain_timeout = 10 };
	struct run_opts o = { .r = &r };
	int status, first = cmd_parse_options(&cmd_run_entry, argc, argv, &o,
					      &status);

	if (first < 0) {
		free(o.params);
		return status;
	}
	if (argc - first < 1) {
		free(o.params);
		return usage_error("run takes a pipeline: 'a | b | c' or a "
				   "topology file, then the files to read");
	}
	r.files = argv + first + 1;
	r.n_files = (size_t)(argc - first - 1);
	r.bytes_total = input_size(r.files, r.n_files);
	clock_gettime(CLOCK_MONOTONIC, &r.started);

	/* Signals go to the signal thread only, which every other thread
	 * inherits by having them blocked. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (pipe(r.stop_pipe) != 0)
		fatal("pipe: %s", strerror(errno));
	pthread_mutex_init(&r.lock, NULL);
	pthread_t sig;
	pthread_create(&sig, NULL, signal_main, &r);

	status = run_topology(&r, g, argv[first], &o);

	pthread_cancel(sig);
	pthread_join(sig, NULL);
	if (r.rt)
		rk_runtime_free(r.rt);
	rk_topology_free(r.topo);
	free(r.targets);
	rk_jsonl_writer_free(r.out);
	free(o.params);
	close(r.stop_pipe[0]);
	close(r.stop_pipe[1]);
	return status;
}

const struct cmd_entry cmd_run_entry = {
	.name = "run",
	.usage = "TOPOLOGY.yaml | 'KERNEL | ...' [FILE...] [OPTIONS]",
	.summary = "run a topology on JSON lines from files or stdin to stdout",
	.options = run_options,
	.take_option = take_run_option,
	.help_column = 26,
	.exec = cmd_run_exec,
};
