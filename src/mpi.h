/* mpi.h - `ringctl run` and `validate` under mpirun: the world's size
 * from the launcher's environment (no MPI needed for that), and the
 * MPI transport module, loaded only when there is more than one rank. */
#ifndef RINGCTL_MPI_H
#define RINGCTL_MPI_H

#include <stdbool.h>

#include "mpi-transport.h"

/* The number of ranks mpirun (Open MPI, or a PMI launcher) started, 1
 * when not under one. */
int mpi_world_size(void);

/* Whether this process is rank 0, or not under a launcher: the one that
 * reports what every rank would. */
bool mpi_first_rank(void);

/* A diagnostic callback that says nothing, for the other ranks. */
void mpi_quiet_problem(void *arg, const char *where, const char *what);

/* The transport, loaded (RINGCTL_MPI_MODULE, else ringctl-mpi.so in
 * pkglibdir); NULL with the reason logged when there is none. */
const struct mpi_transport *mpi_transport_load(void);

#endif /* RINGCTL_MPI_H */
