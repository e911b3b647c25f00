import CKernels
import Foundation

/// A fixed team of persistent threads for one fit: the calling thread (the publisher) and
/// `count − 1` threads started once and kept until `close()`.
///
/// `run(job, items:)` posts a task of `items` independent items; every thread of the team,
/// the caller included, claims items one at a time (`ck_team_claim`) and runs `body(item, job)`;
/// `run` returns when every item is finished. Which thread runs an item is not fixed — a
/// thread that the OS has descheduled claims nothing and delays nothing it has not claimed —
/// so a body must depend only on (item, job) and write only memory owned by its item; then the
/// results are the same whichever threads ran which items.
///
/// Memory: jobs go through two slots used alternately (task k in slot k mod 2, written before
/// the task is published and read by a thread only after it claimed an item of that task, when
/// task k − 1 is finished and k + 1 not yet published). `ck_team_*` (C11 atomics) orders the
/// publisher's writes before every claimer's reads, and every item's writes before `run`
/// returns and before any item of a later task.
final class WorkerTeam<Job: Sendable>: @unchecked Sendable {
    let count: Int
    private let team: OpaquePointer
    private let slots: UnsafeMutablePointer<Job?>
    private let body: @Sendable (Int, Job) -> Void
    /// Written and read by the publisher only.
    private var closed = false

    /// Default spin count before sleeping: about 10–50 µs of `pause` on a current x86 core,
    /// longer than a batch's imbalance between parts, far shorter than a time slice.
    static var defaultSpins: Int { 4000 }

    init(count: Int, spins: Int = 4000, body: @escaping @Sendable (Int, Job) -> Void) throws {
        guard count >= 1, count <= 0xffff, let t = ck_team_create(spins) else {
            throw LearningError.invalidOption("could not start a team of \(count) threads")
        }
        self.count = count
        self.team = t
        self.body = body
        slots = .allocate(capacity: 2)
        slots.initialize(repeating: nil, count: 2)
        for w in 1..<max(count, 1) {
            let thread = Thread { [self] in self.workerLoop() }
            thread.name = "retune-train-\(w)"
            thread.start()
        }
    }

    deinit {
        slots.deinitialize(count: 2)
        slots.deallocate()
        ck_team_destroy(team)
    }

    private func workerLoop() {
        var seen: UInt32 = 0
        while ck_team_wait_task(team, &seen) == 0 {
            drain(ck_team_current(team))
        }
    }

    /// Claims and runs items of `task` until none is left.
    private func drain(_ task: UInt64) {
        while true {
            let item = ck_team_claim(team, task)
            if item < 0 { return }
            if let job = slots[Int(task & 1)] { body(item, job) }
            ck_team_item_done(team)
        }
    }

    /// Publisher: runs `items` items of `job` on the team and returns when all are finished.
    func run(_ job: Job, items: Int) {
        guard items > 0 else { return }
        if count == 1 || closed {
            for i in 0..<items { body(i, job) }
            return
        }
        let next = ck_team_current(team) &+ 1
        slots[Int(next & 1)] = job
        let task = ck_team_publish(team, UInt32(min(items, 0xffff)))
        drain(task)
        ck_team_wait_done(team)
    }

    /// Publisher: ends the threads. Idempotent.
    func close() {
        guard count > 1, !closed else { return }
        closed = true
        ck_team_exit(team)
    }
}

/// Synchronisation cost, for the benchmark: seconds per round of `rounds` rounds of two tasks of
/// `threads` items each (a training batch's two tasks), every item busy for `itemNanos` ns.
/// With `itemNanos` 0 the caller usually claims every item itself (no hand-off is measured);
/// with work, the overhead of a round is the result minus 2 × `itemNanos` (both threads busy).
public enum BarrierProbe {
    public static func secondsPerRound(threads: Int, rounds: Int, spins: Int? = nil, itemNanos: Int = 0) throws -> Double {
        let busy = UInt64(max(itemNanos, 0))
        let team = try WorkerTeam<Int>(count: threads, spins: spins ?? WorkerTeam<Int>.defaultSpins) { _, _ in
            guard busy > 0 else { return }
            let until = DispatchTime.now().uptimeNanoseconds + busy
            while DispatchTime.now().uptimeNanoseconds < until {}
        }
        defer { team.close() }
        team.run(0, items: threads)
        let t0 = DispatchTime.now().uptimeNanoseconds
        for i in 0..<rounds {
            team.run(i, items: threads)
            team.run(i, items: threads)
        }
        let t1 = DispatchTime.now().uptimeNanoseconds
        return Double(t1 - t0) / 1e9 / Double(max(rounds, 1))
    }
}
