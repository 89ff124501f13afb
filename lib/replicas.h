/* replicas.h - what a replicated kernel cannot do, said the same way by
 * the topology check (with the file's line) and by the runtime.
 *
 * Replicas take their input's messages in turn and a merge puts their
 * outputs back in that order, one marker per message.  A message
 * dropped inside a replica's queue leaves no marker, and two producers
 * dealing on their own turns interleave: either would lose the order or
 * stall the merge. */
#ifndef RK_REPLICAS_H
#define RK_REPLICAS_H

#include "ringkernel.h"

/* Whether copies of kernel d can keep the order: it processes message
 * by message (process), and keeps nothing across messages (no flush,
 * or one that only checks, RK_KERNEL_REPLICA_SAFE_FLUSH). */
bool rk_replicas_can(const rk_kernel_desc *d);

/* Why a replicated kernel's queue cannot have this (dropping) policy. */
const char *rk_replicas_policy_why(const char *id, rk_backpressure policy);

/* Why a replicated kernel fed by `first` cannot take a second input. */
const char *rk_replicas_fan_in_why(const char *id, const char *first);

#endif /* RK_REPLICAS_H */
