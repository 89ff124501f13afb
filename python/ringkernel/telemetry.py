"""A kernel's telemetry, with the reference's field names, from
libringkernel's counters (rk_get_telemetry)."""
import dataclasses

from .state import KernelState


@dataclasses.dataclass
class RingKernelTelemetry:
    kernel_id: str = ""
    messages_processed: int = 0
    messages_dropped: int = 0
    queue_depth: int = 0            # the input queue's, now
    total_latency_ns: int = 0
    max_latency_ns: int = 0
    min_latency_ns: int = 0
    error_count: int = 0
    last_error: str | None = None
    uptime_seconds: float = 0.0
    # Beyond the reference: what libringkernel counts too.
    messages_received: int = 0
    messages_sent: int = 0
    output_queue_depth: int = 0
    queue_capacity: int = 0
    queue_high_water: int = 0
    latency_p50_ns: int = 0
    latency_p99_ns: int = 0
    throughput: float = 0.0         # processed per second while active
    state: KernelState | None = None

    @property
    def avg_latency_ns(self):
        if self.messages_processed == 0:
            return 0.0
        return self.total_latency_ns / self.messages_processed

    @property
    def avg_latency_ms(self):
        return self.avg_latency_ns / 1e6

    def to_dict(self):
        d = dataclasses.asdict(self)
        d["state"] = self.state.name if self.state else None
        d["avg_latency_ms"] = self.avg_latency_ms
        return d

    @classmethod
    def from_c(cls, kernel_id, t):
        return cls(
            kernel_id=kernel_id,
            messages_processed=t.messages_processed,
            messages_dropped=t.messages_dropped,
            queue_depth=t.input.depth,
            total_latency_ns=t.latency_avg_ns * t.latency_count,
            max_latency_ns=t.latency_max_ns,
            min_latency_ns=t.latency_min_ns,
            error_count=t.errors,
            last_error=t.last_error.decode("utf-8", "replace") or None,
            uptime_seconds=t.uptime_s,
            messages_received=t.messages_received,
            messages_sent=t.messages_sent,
            output_queue_depth=t.output.depth,
            queue_capacity=t.input.capacity,
            queue_high_water=t.input.high_water,
            latency_p50_ns=t.latency_p50_ns,
            latency_p99_ns=t.latency_p99_ns,
            throughput=t.throughput,
            state=KernelState(t.state),
        )
