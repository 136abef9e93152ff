// OpenMPClauses.swift: the clauses of the parallel row loop, chosen from the schedule and the
// sharing classification. Shared by the openmp and hybrid backends and by `stencilc explain`.

import StencilIR

public enum OpenMPClauses {
    /// `schedule(static, 16) num_threads(2)` plus a reduction clause for norm sweeps.
    public static func clauses(_ schedule: ResolvedSchedule, reduction: Sharing? = nil, variable: String = "") -> String {
        var parts: [String] = []
        if let chunk = schedule.chunksize {
            parts.append("schedule(\(schedule.kind.rawValue), \(chunk))")
        } else {
            parts.append("schedule(\(schedule.kind.rawValue))")
        }
        if let threads = schedule.numThreads { parts.append("num_threads(\(threads))") }
        switch reduction {
        case .reductionMax?: parts.append("reduction(max: \(variable))")
        case .reductionSum?: parts.append("reduction(+: \(variable))")
        case .private?, .shared?, .firstprivate?, nil: break
        }
        return parts.joined(separator: " ")
    }

    /// Clauses of an orphaned `#pragma omp for` inside the team's one parallel region: the
    /// schedule and the reductions (num_threads belongs to the region).
    public static func loopClauses(_ schedule: ResolvedSchedule, reductions: [(Sharing, String)] = []) -> String {
        var parts = [schedule.chunksize.map { "schedule(\(schedule.kind.rawValue), \($0))" } ?? "schedule(\(schedule.kind.rawValue))"]
        for (sharing, variable) in reductions {
            switch sharing {
            case .reductionMax: parts.append("reduction(max: \(variable))")
            case .reductionSum: parts.append("reduction(+: \(variable))")
            case .private, .shared, .firstprivate: break
            }
        }
        return parts.joined(separator: " ")
    }

    /// Clauses of the one `#pragma omp parallel` region around the iterations.
    public static func regionClauses(_ schedule: ResolvedSchedule) -> String {
        schedule.numThreads.map { " num_threads(\($0))" } ?? ""
    }

    /// The schedule as the summary shows it: `static`, `dynamic,16`.
    public static func summaryText(_ schedule: ResolvedSchedule) -> String {
        schedule.kind.rawValue + (schedule.chunksize.map { ",\($0)" } ?? "")
    }
}
