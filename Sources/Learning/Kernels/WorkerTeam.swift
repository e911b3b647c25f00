import CKernels
import Foundation

/// A fixed team of persistent threads for one fit: the calling thread is worker 0 and
/// `count − 1` threads are started once and kept until `close()`.
///
/// Protocol: the caller (worker 0) calls `run(job)` once per round; every worker, the caller
/// included, then runs `body(worker, job, team)`. Inside the body all workers may call `sync()`
/// (a barrier) — the same number of times each. `run` returns when worker 0's body returns; the
/// other workers may still be finishing theirs, and the next `run` (or `join`) waits for them at
/// the barrier that starts it. So a round costs one barrier plus the body's `sync()` calls, and
/// after `join()` returns no worker touches shared memory until the next `run`.
///
/// Memory: jobs go through two slots used alternately (round k writes slot k mod 2 before the
/// start barrier; a worker reads it right after), so the caller never writes the slot a worker
/// may still be reading. The barrier (`ck_barrier_wait`, C11 atomics) orders every write made
/// before it before every read after it, on every thread.
final class WorkerTeam<Job: Sendable>: @unchecked Sendable {
    enum Command { case job(Job), idle, exit }

    let count: Int
    private let barrier: OpaquePointer
    private let slots: UnsafeMutablePointer<Command>
    private let body: @Sendable (Int, Job, WorkerTeam<Job>) -> Void
    /// Written and read by worker 0 only.
    private var round = 0
    private var closed = false

    /// Default spin count before sleeping: about 10–20 µs of `pause` on a current x86 core,
    /// longer than a batch's phase imbalance, far shorter than a time slice.
    static var defaultSpins: Int { 4000 }

    init(count: Int, spins: Int = WorkerTeam.defaultSpins,
         body: @escaping @Sendable (Int, Job, WorkerTeam<Job>) -> Void) throws {
        guard count >= 1, let b = ck_barrier_create(Int32(count), spins) else {
            throw LearningError.invalidOption("could not create a barrier for \(count) threads")
        }
        self.count = count
        self.barrier = b
        self.body = body
        slots = .allocate(capacity: 2)
        slots.initialize(repeating: .idle, count: 2)
        for w in 1..<max(count, 1) {
            let thread = Thread { [self] in self.workerLoop(w) }
            thread.name = "retune-train-\(w)"
            thread.start()
        }
    }

    deinit {
        slots.deinitialize(count: 2)
        slots.deallocate()
        ck_barrier_destroy(barrier)
    }

    private func workerLoop(_ w: Int) {
        var r = 0
        while true {
            ck_barrier_wait(barrier)
            let command = slots[r & 1]
            r &+= 1
            switch command {
            case .exit: return
            case .idle: continue
            case .job(let job): body(w, job, self)
            }
        }
    }

    private func post(_ command: Command) {
        slots[round & 1] = command
        round &+= 1
        ck_barrier_wait(barrier)
    }

    /// Worker 0: start a round and run its own part of it.
    func run(_ job: Job) {
        guard count > 1 else { body(0, job, self); return }
        post(.job(job))
        body(0, job, self)
    }

    /// Worker 0: wait until every worker has finished the previous round.
    func join() {
        guard count > 1, !closed else { return }
        post(.idle)
    }

    /// Barrier for all workers inside a round's body.
    func sync() {
        guard count > 1 else { return }
        ck_barrier_wait(barrier)
    }

    /// Worker 0: end the threads (after they finish the current round). Idempotent.
    func close() {
        guard count > 1, !closed else { return }
        closed = true
        post(.exit)
    }
}

/// Barrier cost, for the benchmark: seconds per round of `rounds` rounds of `team.run` with
/// one `sync()` inside (two barriers per round, as in a training batch) and no work.
public enum BarrierProbe {
    public static func secondsPerRound(threads: Int, rounds: Int, spins: Int? = nil) throws -> Double {
        let team = try WorkerTeam<Int>(count: threads, spins: spins ?? WorkerTeam<Int>.defaultSpins) { _, _, team in
            team.sync()
        }
        defer { team.close() }
        team.run(0)
        team.join()
        let t0 = DispatchTime.now().uptimeNanoseconds
        for i in 0..<rounds { team.run(i) }
        team.join()
        let t1 = DispatchTime.now().uptimeNanoseconds
        return Double(t1 - t0) / 1e9 / Double(max(rounds, 1))
    }
}
