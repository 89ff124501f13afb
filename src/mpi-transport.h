/* mpi-transport.h - what `ringctl run` asks of the MPI transport, a
 * module of its own (ringctl-mpi.so, built where configure finds Open
 * MPI) so that ringctl without MPI neither links nor loads it.
 *
 * Under mpirun every rank parses and checks the same topology and runs
 * the kernels placed on it (rk_topology_place).  An edge whose ends are
 * on two ranks becomes a channel: on the producer's rank an exporter
 * kernel takes the edge's messages and sends them in batches (one MPI
 * message per batch) to the consumer's rank, whose importer thread
 * passes them on with rk_send_batch.  Credits bound what is in flight,
 * so backpressure crosses ranks and memory stays bounded; the end of
 * input travels as a last, empty batch.  MPI keeps the order of the
 * messages between two ranks on one tag, so order and exactly-once
 * delivery hold as on one machine.  stdin and stdout are on rank 0. */
#ifndef RINGCTL_MPI_TRANSPORT_H
#define RINGCTL_MPI_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>

#include <ringkernel.h>

#define MPI_TRANSPORT_ABI 2
#define MPI_TRANSPORT_SYMBOL "ringctl_mpi_transport"

/* A module's table, as every module's (rk_module_header). */
struct mpi_transport {
	uint32_t abi_version;           /* MPI_TRANSPORT_ABI */
	uint32_t struct_size;           /* sizeof(struct mpi_transport) */
	/* MPI_Init_thread: this rank and the world's size; 0, or -1 with
	 * why. */
	int (*init)(int *rank, int *size, char *why, size_t cap);
	/* The rk_wiring_fn for rk_topology_place: exporters launched and
	 * connected, importers set up.  `arg` is the run's launch options
	 * (const rk_launch_options *). */
	rk_error (*wire)(void *arg, rk_topology *t, rk_runtime *rt);
	/* What standard input feeds on rank 0 for an input kernel: its
	 * exporter when the kernel is elsewhere, else the kernel. */
	const char *(*input_id)(const char *kernel);
	/* Once the kernels are active: the importers start. */
	void (*start)(void);
	/* Wait until every channel of this rank has ended, then
	 * MPI_Finalize; 0.  Meanwhile `failed` is asked now and then
	 * whether a kernel here has failed (it says which): then the
	 * whole job ends, since what the kernel would have passed on will
	 * never come. */
	int (*finish)(bool (*failed)(void *arg), void *arg);
	/* End the whole job at once, saying why (from any rank). */
	void (*abort)(int status, const char *why);
};

#endif /* RINGCTL_MPI_TRANSPORT_H */
