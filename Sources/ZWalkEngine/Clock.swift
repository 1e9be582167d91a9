import Dispatch

/// A monotonic clock in seconds, for timing runs. Monotonic (not wall-clock) so a profile is never
/// skewed or made negative by the system clock being adjusted mid-run.
public func monotonicSeconds() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
