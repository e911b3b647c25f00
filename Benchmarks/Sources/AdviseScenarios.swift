import Decisions
import Foundation

/// `retune-bench advise_scenarios [--data DIR]`: advise's agreement with what FINAL hold-outs
/// support, per scenario, split into the tuning and the scoring scenarios. `--split tune` runs
/// only the tuning ones (look at those while changing the rule); `--detail` adds advise's
/// estimate and the FINAL loss of every action.
func runAdviseScenarios(_ o: Options) throws {
    let dir = o.values["data"] ?? "sessions/data"
    let only = o.values["split"].flatMap(AdviseScenario.Split.init(rawValue:))
    let suite = try AdviseScenarios.suite(dataDirectory: dir).filter { only == nil || $0.split == only }
    print("scenario".padding(44) + "split".padding(6) + "advise".padding(13) + "best on FINAL".padding(22)
          + "within noise on FINAL".padding(56) + "agrees  regret  block  in blocks  seconds")
    var outcomes: [ScenarioOutcome] = []
    for sc in suite {
        let r = try AdviseScenarios.run(sc)
        outcomes.append(r)
        let best = "\(r.finalBest.arm) \(String(format: "%.4g", r.finalLoss[r.finalBest] ?? .nan))"
        let supported = r.supported.map(\.arm).joined(separator: ", ") + (r.noSignal ? " (no signal)" : "")
        print(r.scenario.padding(44) + r.split.rawValue.padding(6) + r.advised.rawValue.padding(13) + best.padding(22)
              + supported.padding(56) + (r.agrees ? "yes" : "NO").padding(8) + String(format: "%5.1f %%", 100 * r.regret).padding(8)
              + "\(r.block)".padding(7) + (r.agreesInBlocks ? "yes" : "NO").padding(11) + String(format: "%.2f", r.seconds))
        if r.block > 1, r.supportedInBlocks != r.supported {
            print("    within noise on FINAL in blocks of \(r.block) rows: " + r.supportedInBlocks.map(\.arm).joined(separator: ", ")
                  + (r.noSignalInBlocks ? " (no signal)" : ""))
        }
        if o.flags.contains("detail") {
            print("    " + r.protocolText)
            for a in Action.allCases where r.finalLoss[a] != nil || r.estimates[a] != nil {
                print("    " + a.arm.padding(16) + "advise " + String(format: "%-10.4g", r.estimates[a] ?? .nan)
                      + " FINAL " + String(format: "%.4g", r.finalLoss[a] ?? .nan))
            }
            print("    " + "trivial".padding(16) + "advise " + String(format: "%-10.4g", r.estimatedBaseline)
                  + " FINAL " + String(format: "%.4g", r.finalBaseline))
        }
    }
    for split in [AdviseScenario.Split.tune, .score] where only == nil || only == split {
        let part = outcomes.filter { $0.split == split }
        let agree = part.filter(\.agrees).count
        let inBlocks = part.filter(\.agreesInBlocks).count
        let misses = part.filter { !$0.agrees }.map(\.regret)
        let meanRegret = part.isEmpty ? 0 : part.map(\.regret).reduce(0, +) / Double(part.count)
        print("agreement (\(split.rawValue)): \(agree)/\(part.count) = \(String(format: "%.0f", 100 * Double(agree) / Double(max(part.count, 1)))) %"
              + "; judged with FINAL's noise in blocks where rows are ordered: \(inBlocks)/\(part.count)"
              + "; mean regret \(String(format: "%.2f", 100 * meanRegret)) %, worst miss \(String(format: "%.1f", 100 * (misses.max() ?? 0))) %")
    }
    let all = outcomes.filter(\.agrees).count
    print("{\"workload\":\"advise_scenarios\",\"agree\":\(all),\"scenarios\":\(outcomes.count),\"score_agree\":\(outcomes.filter { $0.split == .score && $0.agrees }.count),\"score_scenarios\":\(outcomes.filter { $0.split == .score }.count),\"score_agree_in_blocks\":\(outcomes.filter { $0.split == .score && $0.agreesInBlocks }.count)}")
}

/// `retune-bench health_scenarios`: chain health's verdict against what a later FINAL batch
/// supports (the chain's last version or a retrain on the latest batch), per scenario.
func runHealthScenarios(_ o: Options) throws {
    print("scenario".padding(48) + "split".padding(6) + "health".padding(12) + "fine-tunes".padding(11) + "max PSI".padding(9)
          + "forgetting".padding(12) + "FINAL chain".padding(13) + "FINAL retrain".padding(15) + "supported".padding(16) + "agrees")
    var outcomes: [HealthScenarioOutcome] = []
    for sc in HealthScenarios.suite() {
        let r = try HealthScenarios.run(sc)
        outcomes.append(r)
        let supported = [r.chainSupported ? "chain" : nil, r.retrainSupported ? "retrain" : nil].compactMap { $0 }.joined(separator: ", ")
        let psi = r.health.readings.psi.map { String(format: "%.3f", $0) } ?? "—"
        let forgetting = r.health.forgetting.map { String(format: "%+.1f %%", 100 * $0) } ?? "—"
        print(r.scenario.padding(48) + r.split.rawValue.padding(6) + r.health.verdict.rawValue.padding(12) + "\(r.health.fineTunes)".padding(11)
              + psi.padding(9) + forgetting.padding(12) + String(format: "%-13.4g", r.chainLoss)
              + String(format: "%-15.4g", r.retrainLoss) + supported.padding(16) + (r.agrees ? "yes" : "NO"))
    }
    for split in [AdviseScenario.Split.tune, .score] {
        let part = outcomes.filter { $0.split == split }
        let agree = part.filter(\.agrees).count
        print("agreement (\(split.rawValue)): \(agree)/\(part.count) = \(String(format: "%.0f", 100 * Double(agree) / Double(max(part.count, 1)))) %")
    }
    let score = outcomes.filter { $0.split == .score }
    print("{\"workload\":\"health_scenarios\",\"agree\":\(outcomes.filter(\.agrees).count),\"scenarios\":\(outcomes.count),\"score_agree\":\(score.filter(\.agrees).count),\"score_scenarios\":\(score.count)}")
}

/// `retune-bench backtest_scenarios [--data DIR]`: the policy backtest picks on a stream's first
/// period against the policies' errors on the later period it never replayed.
func runBacktestScenarios(_ o: Options) throws {
    let dir = o.values["data"] ?? "sessions/data"
    print("scenario".padding(48) + "batches A/B".padding(12) + "picked on A".padding(24) + "best on B".padding(24)
          + "within noise on B".padding(70) + "agrees")
    var agree = 0, total = 0
    for sc in try BacktestScenarios.suite(dataDirectory: dir) {
        let r = try BacktestScenarios.run(sc)
        total += 1
        if r.agrees { agree += 1 }
        print(r.scenario.padding(48) + "\(r.batchesA)/\(r.batchesB)".padding(12) + r.pickedOnA.padding(24) + r.bestOnB.padding(24)
              + r.tiedOnB.joined(separator: ", ").padding(70) + (r.agrees ? "yes" : "NO"))
        if o.flags.contains("detail") {
            print("    B: " + r.meansOnB.map { "\($0.policy) \(String(format: "%.4g", $0.mean))" }.joined(separator: " · "))
        }
    }
    print("agreement: \(agree)/\(total) = \(String(format: "%.0f", 100 * Double(agree) / Double(max(total, 1)))) %")
    print("{\"workload\":\"backtest_scenarios\",\"agree\":\(agree),\"scenarios\":\(total)}")
}
