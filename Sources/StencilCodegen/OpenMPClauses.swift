// OpenMPClauses.swift: the parallel region's clauses and the schedule as the summary shows it.
// The row loop's `omp for` clauses are the loop plan's (PlanLoops), printed as they stand.

import StencilIR

public enum OpenMPClauses {
    /// Clauses of the one `#pragma omp parallel` region around the iterations.
    public static func regionClauses(_ schedule: ResolvedSchedule) -> String {
        schedule.numThreads.map { " num_threads(\($0))" } ?? ""
    }

    /// The schedule as the summary shows it: `static`, `dynamic,16`.
    public static func summaryText(_ schedule: ResolvedSchedule) -> String {
        schedule.kind.rawValue + (schedule.chunksize.map { ",\($0)" } ?? "")
    }
}
