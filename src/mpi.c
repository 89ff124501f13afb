/* mpi.c - see mpi.h. */
#include "config.h"

#include <dlfcn.h>
#include <stdlib.h>

#include <ringkernel.h>

#include "log.h"
#include "mpi.h"

/* The first of the launchers' variables that is set: Open MPI's, then
 * PMI's and PMIx's. */
static const char *launcher_var(const char *ompi, const char *pmi,
				const char *pmix)
{
	const char *const vars[] = { ompi, pmi, pmix };

	for (size_t i = 0; i < 3; i++) {
		const char *v = getenv(vars[i]);
		if (v && *v)
			return v;
	}
	return NULL;
}

int mpi_world_size(void)
{
	const char *v = launcher_var("OMPI_COMM_WORLD_SIZE", "PMI_SIZE",
				     "PMIX_SIZE");
	long n = v ? strtol(v, NULL, 10) : 1;

	return n > 0 ? (int)n : 1;
}

bool mpi_first_rank(void)
{
	const char *v = launcher_var("OMPI_COMM_WORLD_RANK", "PMI_RANK",
				     "PMIX_RANK");

	return !v || strtol(v, NULL, 10) == 0;
}

void mpi_quiet_problem(void *arg, const char *where, const char *what)
{
	(void)arg;
	(void)where;
	(void)what;
}

const struct mpi_transport *mpi_transport_load(void)
{
	const char *path = getenv("RINGCTL_MPI_MODULE");

	if (!path || !*path)
		path = RK_PKGLIBDIR "/ringctl-mpi.so";
	/* Global: Open MPI loads components of its own that need its
	 * symbols. */
	void *module;
	rk_error rc = rk_module_open(path, RTLD_NOW | RTLD_GLOBAL, &module);
	if (rc == RK_ENOTFOUND) {
		log_error("running under mpirun with %d ranks, but the MPI "
			  "transport cannot be loaded (%s); build ringctl with "
			  "Open MPI (configure --with-mpi)", mpi_world_size(),
			  rk_errmsg());
		return NULL;
	}
	if (rc != RK_OK) {
		log_error("%s", rk_errmsg());
		return NULL;
	}
	const void *t;
	if (rk_module_table(module, path, "the MPI transport of this "
			    "ringctl", MPI_TRANSPORT_SYMBOL, MPI_TRANSPORT_ABI,
			    sizeof(struct mpi_transport), &t) != RK_OK) {
		log_error("%s", rk_errmsg());
		return NULL;
	}
	return t;
}
