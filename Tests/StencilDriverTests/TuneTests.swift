// TuneTests.swift: `stencilc tune` and the plans it stores, `run --tune`, and `--cflags`.
// Tuning may only change speed: the tuned run's field is the default run's, bit for bit.

import Foundation
import StencilDriver
import StencilIR
import Testing

@Suite struct TuneTests {
    let jacobi = Repository.stencil("jacobi.st")

    func json(_ text: String) throws -> [String: Any] { try lastJSONObject(text) }

    @Test func tunedPlanIsStoredAndUsedAndChangesNoBit() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let wisdom = directory.appendingPathComponent("wisdom.json").path
        let environment = ["STENCILC_WISDOM": wisdom]
        // The schedule fixed (as the file's default): the run-time plans alone are tuned.
        let common = ["--param", "N=48", "--num-threads", "2", "--schedule", "static"]

        // Nothing stored: the cost model's plan.
        let before = try stencilc(["run", jacobi] + common + ["--json", "--output", directory.appendingPathComponent("a.npy").path],
                                  environment: environment)
        #expect(before.status == 0, "\(before.stderr)")
        #expect((try json(before.stdout)["plan"] as? [String: Any])?["source"] as? String == "default")

        let tune = try stencilc(["tune", jacobi] + common + ["--seconds-per-run", "0.01", "--json"], environment: environment)
        #expect(tune.status == 0, "\(tune.stderr)")
        let tuned = try json(tune.stdout)
        let plan = try #require(tuned["plan"] as? String)
        #expect((tuned["candidates"] as? Int ?? 0) > 10, "\(tune.stdout)")
        #expect(FileManager.default.fileExists(atPath: wisdom))

        // The same settings find it; the field is the same bits.
        let after = try stencilc(["run", jacobi] + common + ["--json", "--output", directory.appendingPathComponent("b.npy").path],
                                 environment: environment)
        #expect(after.status == 0, "\(after.stderr)")
        let used = try #require(try json(after.stdout)["plan"] as? [String: Any])
        #expect(used["source"] as? String == "tuned")
        #expect(used["spec"] as? String == plan)
        #expect(try NPYArray(contentsOf: directory.appendingPathComponent("a.npy").path)
                == NPYArray(contentsOf: directory.appendingPathComponent("b.npy").path))

        // The user's STENCILC_PLAN wins over the stored plan (it was reported as tuned, and the
        // stored plan ran), in `run` and in `stencilc plan` (which the Python package asks).
        let given = environment.merging(["STENCILC_PLAN": "sweeps"]) { _, new in new }
        let chosen = try stencilc(["run", jacobi] + common + ["--json"], environment: given)
        #expect((try json(chosen.stdout)["plan"] as? [String: Any])?["source"] as? String == "given", "\(chosen.stdout)")
        let asked = try stencilc(["plan", jacobi] + common, environment: given)
        #expect(try json(asked.stdout)["source"] as? String == "given", "\(asked.stdout)")

        // Another size, thread count or flags is another key: the default again.
        for other in [["--param", "N=50", "--num-threads", "2"], ["--param", "N=48", "--num-threads", "1"],
                      common + ["--cflags", "-march=x86-64-v2"]] {
            let run = try stencilc(["run", jacobi] + other + ["--json"], environment: environment)
            #expect(run.status == 0, "\(run.stderr)")
            #expect((try json(run.stdout)["plan"] as? [String: Any])?["source"] as? String == "default", "\(other)")
        }
    }

    /// The column stage: the two fastest blocked plans again with column tiles of at most half a
    /// row (and at least 4 halos), in the order given; nothing for rows too short or sweeps alone.
    @Test func columnTilesAreTriedOnTheBestBlockedPlans() {
        let ranked = ["sweeps", "bands:5:16", "tiles:8:32", "bands:3:8"]
        #expect(Tuner.columnCandidates(ranked: ranked, cols: 600, halo: 1)
                == ["bands:5:16:64", "bands:5:16:128", "bands:5:16:256", "tiles:8:32:64", "tiles:8:32:128", "tiles:8:32:256"])
        #expect(Tuner.columnCandidates(ranked: ranked, cols: 100, halo: 20) == [])
        #expect(Tuner.columnCandidates(ranked: ranked, cols: 100, halo: 1) == [])
        #expect(Tuner.columnCandidates(ranked: ["sweeps"], cols: 4096, halo: 1) == [])
        #expect(Tuner.columnCandidates(ranked: ["bands:5:16:64"], cols: 4096, halo: 1) == [])
    }

    /// For openmp with 2 threads the tuner also times the compile-time schedules; a stored schedule
    /// makes `run` build that variant (the summary's `schedule` says so) with the same bits. A
    /// schedule given on the command line is kept, and serial has none to tune.
    @Test func tunedScheduleIsBuiltByRunAndChangesNoBit() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let wisdom = directory.appendingPathComponent("wisdom.json").path
        let environment = ["STENCILC_WISDOM": wisdom]
        let common = ["--param", "N=40", "--num-threads", "2"]

        let tune = try stencilc(["tune", jacobi] + common + ["--seconds-per-run", "0.01", "--json"], environment: environment)
        #expect(tune.status == 0, "\(tune.stderr)")
        let schedules = try #require(try json(tune.stdout)["schedules"] as? [[String: Any]])
        #expect(Set(schedules.compactMap { $0["schedule"] as? String }) == ["static", "static,8", "dynamic,4", "dynamic,16", "guided"])

        // Whatever won here, store dynamic,4 with whole sweeps, as if it had: run must build it.
        let data = try #require(FileManager.default.contents(atPath: wisdom))
        var entries = try #require(try JSONSerialization.jsonObject(with: data) as? [String: [String: Any]])
        let key = try #require(entries.keys.first)
        entries[key]!["schedule"] = "dynamic,4"
        entries[key]!["plan"] = "sweeps"
        try JSONSerialization.data(withJSONObject: entries).write(to: URL(fileURLWithPath: wisdom))

        let plain = try stencilc(["run", jacobi] + common + ["--json", "--output", directory.appendingPathComponent("a.npy").path])
        let tuned = try stencilc(["run", jacobi] + common + ["--json", "--output", directory.appendingPathComponent("b.npy").path],
                                 environment: environment)
        #expect(plain.status == 0 && tuned.status == 0, "\(plain.stderr)\(tuned.stderr)")
        #expect(try json(plain.stdout)["schedule"] as? String == "static")
        #expect(try json(tuned.stdout)["schedule"] as? String == "dynamic,4", "\(tuned.stdout)")
        #expect((try json(tuned.stdout)["plan"] as? [String: Any])?["source"] as? String == "tuned")
        #expect(try NPYArray(contentsOf: directory.appendingPathComponent("a.npy").path)
                == NPYArray(contentsOf: directory.appendingPathComponent("b.npy").path))
        let explain = try stencilc(["explain", jacobi] + common, environment: environment)
        #expect(explain.stdout.contains("with schedule(dynamic,4)"), "\(explain.stdout)")

        // `stencilc plan` tells a caller that runs the program itself (Python) what `run` did.
        let plan = try stencilc(["plan", jacobi] + common, environment: environment)
        #expect(plan.status == 0, "\(plan.stderr)")
        let told = try json(plan.stdout)
        #expect(told["source"] as? String == "tuned")
        #expect(told["arguments"] as? [String] == ["--plan", "sweeps", "--plan-source", "tuned"])
        #expect(told["build_flags"] as? [String] == ["--schedule", "dynamic", "--chunksize", "4"])
        #expect(told["stored_params"] as? [[String]] == [["N=40"]])
        let otherSize = try json(try stencilc(["plan", jacobi, "--param", "N=41", "--num-threads", "2"], environment: environment).stdout)
        #expect(otherSize["source"] as? String == "default")
        #expect(otherSize["stored_params"] as? [[String]] == [["N=40"]])
        let empty = ["STENCILC_WISDOM": directory.appendingPathComponent("none.json").path]
        let nothingStored = try json(try stencilc(["plan", jacobi] + common, environment: empty).stdout)
        #expect(nothingStored["source"] as? String == "default")

        for fixed in [common + ["--schedule", "guided"], ["--param", "N=40", "--target", "serial"]] {
            let run = try stencilc(["tune", jacobi] + fixed + ["--seconds-per-run", "0.01", "--json"], environment: environment)
            #expect(run.status == 0, "\(run.stderr)")
            #expect((try json(run.stdout)["schedules"] as? [Any])?.isEmpty == true, "\(fixed): \(run.stdout)")
        }
    }

    @Test func runTuneTunesFirstWhenNothingIsStored() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let environment = ["STENCILC_WISDOM": directory.appendingPathComponent("w.json").path]
        let run = try stencilc(["run", jacobi, "--target", "serial", "--param", "N=40", "--tune", "--json"], environment: environment)
        #expect(run.status == 0, "\(run.stderr)")
        #expect((try json(run.stdout)["plan"] as? [String: Any])?["source"] as? String == "tuned")
        #expect(run.stderr.contains("tuning first"))
    }

    /// An entry that does not read as one is skipped and kept; a file that is not JSON is used by
    /// no run (with a warning) and never overwritten. Regression: one bad entry hid every plan,
    /// and the next tune wrote the file again with its own entry alone.
    @Test func storedPlansSurviveABadEntryAndAGarbledFile() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let wisdom = directory.appendingPathComponent("w.json").path
        let environment = ["STENCILC_WISDOM": wisdom]
        let serial = ["--target", "serial", "--seconds-per-run", "0.01", "--json"]
        #expect(try stencilc(["tune", jacobi, "--param", "N=40"] + serial, environment: environment).status == 0)
        var stored = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: wisdom))) as? [String: Any])
        stored["by hand"] = ["plan": "sweeps"]
        try JSONSerialization.data(withJSONObject: stored).write(to: URL(fileURLWithPath: wisdom))
        let plan = try stencilc(["plan", jacobi, "--target", "serial", "--param", "N=40"], environment: environment)
        #expect(try json(plan.stdout)["source"] as? String == "tuned", "\(plan.stdout) \(plan.stderr)")
        #expect(try stencilc(["tune", jacobi, "--param", "N=42"] + serial, environment: environment).status == 0)
        let kept = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: wisdom))) as? [String: Any])
        #expect(kept.count == 3 && kept["by hand"] != nil, "\(kept.keys)")

        try "{ not json".write(toFile: wisdom, atomically: true, encoding: .utf8)
        let run = try stencilc(["run", jacobi, "--target", "serial", "--param", "N=40", "--json"], environment: environment)
        #expect(run.status == 0)
        #expect((try json(run.stdout)["plan"] as? [String: Any])?["source"] as? String == "default")
        #expect(run.stderr.contains("warning: the tuned plans in '\(wisdom)' cannot be read (it is not JSON)"), "\(run.stderr)")
        let tune = try stencilc(["tune", jacobi, "--param", "N=40"] + serial, environment: environment)
        #expect(tune.status == 1)
        #expect(tune.stderr.contains("and tuning would not be stored: move the file away"), "\(tune.stderr)")
        #expect(try String(contentsOfFile: wisdom, encoding: .utf8) == "{ not json")
    }

    /// OMP_NUM_THREADS as libgomp reads it: " 3" is 3 threads (it fell back to the cores, and a
    /// plan tuned for them was used by a run of 3 threads).
    @Test func ompNumThreadsIsReadAsLibgompReadsIt() {
        #expect(Tuner.ompThreads(["OMP_NUM_THREADS": " 3"]) == 3)
        #expect(Tuner.ompThreads(["OMP_NUM_THREADS": "1 "]) == 1)
        #expect(Tuner.ompThreads(["OMP_NUM_THREADS": "4,2"]) == 4)
        #expect(Tuner.ompThreads(["OMP_NUM_THREADS": "0"]) == nil)
        #expect(Tuner.ompThreads(["OMP_NUM_THREADS": "x"]) == nil)
        #expect(Tuner.ompThreads([:]) == nil)
    }

    @Test func tuneRefusesTargetsWithOnePlan() throws {
        let result = try stencilc(["tune", jacobi, "--target", "mpi", "--param", "N=40"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("serial and openmp"), "\(result.stderr)")
    }

    @Test func cflagsReachTheBuildCommandAndTheCacheKey() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("j.c").path
        let emit = try stencilc([jacobi, "--target", "serial", "--cflags", "-march=x86-64-v2 -DEXTRA=1", "-o", output],
                                environment: ["STENCILC_CFLAGS": "-O2"])
        #expect(emit.status == 0, "\(emit.stderr)")
        let text = try String(contentsOfFile: output, encoding: .utf8)
        #expect(text.contains(" *   flags=\"-std=c11 -O3 -march=native -ffp-contract=off -fno-math-errno -falign-loops=64 -fopenmp-simd -O2 -march=x86-64-v2 -DEXTRA=1 -I runtime\"\n"),
                "\(text.prefix(600))")
        #expect(text.contains(" *   gcc $flags j.c "), "\(text.prefix(600))")

        let cache = ["STENCILC_CACHE_DIR": directory.appendingPathComponent("cache").path]
        let plain = try stencilc(["run", jacobi, "--target", "serial", "--param", "N=20", "--print-commands", "--json"], environment: cache)
        #expect(plain.status == 0, "\(plain.stderr)")
        let flagged = try stencilc(["run", jacobi, "--target", "serial", "--param", "N=20", "--print-commands", "--json",
                                    "--cflags", "-march=x86-64-v2"], environment: cache)
        #expect(flagged.status == 0, "\(flagged.stderr)")
        // Built again (a new key), with the flag after stencilc's own.
        #expect(flagged.stderr.contains("-march=native -ffp-contract=off -fno-math-errno -falign-loops=64 -fopenmp-simd -march=x86-64-v2"), "\(flagged.stderr)")
        let bad = try stencilc(["run", jacobi, "--target", "serial", "--param", "N=20", "--cflags", "-fno-such-flag"], environment: cache)
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("the C compiler failed"), "\(bad.stderr)")
    }
}
