import Foundation
import Language
import Render
import Tracking

// Model versions (history, lineage, aliases) and rerun.

extension Experiments {
    static func modelName(_ arg: Argument) -> String? {
        switch arg.value {
        case .name(let n): return n
        case .version(let m?, _): return m
        default: return nil
        }
    }

    static func trackingRef(_ ref: Language.VersionRef) -> Tracking.VersionRef {
        switch ref {
        case .number(let n): return .number(n)
        case .alias(let a): return a == "latest" ? .latest : .alias(a)
        }
    }

    /// The first metric of the documented vocabulary a version has.
    static func keyMetric(_ metrics: [String: Double]) -> (String, Double)? {
        for k in metricPriority { if let v = metrics[k] { return (k, v) } }
        return metrics.sorted { $0.key < $1.key }.first { !$0.key.hasPrefix("train_") }.map { ($0.key, $0.value) }
    }

    /// Runs of `model` by id (deleted ones too), for the kind of each version's run.
    static func runsByID(_ store: Store, model: String) throws -> [Int64: RunRow] {
        let rows = try store.runs(RunQuery(filter: .compare(.field(.model), .eq, .string(model)), includeDeleted: true))
        return Dictionary(rows.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
    }
}

let historyCommand = CommandSpec(
    name: "history", group: .models,
    summary: "List a model's versions with lineage, key metric, data and aliases",
    synopsis: "history MODEL [all]",
    operands: [OperandSpec("MODEL", .name(.model))],
    options: [OptionSpec("all", .flag, help: "include deleted versions")],
    help: "One row per version of MODEL, oldest first: version, parent version, the run that produced it and its kind, the key metric, the data it was trained on, its aliases and when it was created.",
    examples: ["history price", "history price all"],
    handler: { inv, session in
        guard let arg = inv.operand(0), let model = Experiments.modelName(arg) else { return nil }
        let store = try session.store()
        let versions = try Experiments.wrap(arg.span) { try store.versions(model, includeDeleted: inv.flag("all")) }
        let runs = try Experiments.wrap(arg.span) { try Experiments.runsByID(store, model: model) }
        let rows: [[Cell]] = versions.map { v in
            let run = v.run.flatMap { runs[$0] }
            let key = Experiments.keyMetric(v.metrics)
            return [.text("\(model)@\(v.version)" + (v.deleted ? " (deleted)" : "")),
                    v.parentVersion.map { .text("@\($0)") } ?? .missing,
                    v.run.map { .text("#\($0)") } ?? .missing,
                    run.map { .text($0.kind.rawValue) } ?? .missing,
                    key.map { .text($0.0) } ?? .missing,
                    key.map { .number($0.1) } ?? .missing,
                    .text(v.datasets.map(\.name).joined(separator: ", ")),
                    .text(v.aliases.sorted().joined(separator: ", ")),
                    .text(Experiments.iso(v.created))]
        }
        let table = Table(title: "history of \(model)",
                          columns: [Table.Column("version"), Table.Column("parent"), Table.Column("run"), Table.Column("kind"),
                                    Table.Column("metric"), Table.Column("value", alignment: .right), Table.Column("data"),
                                    Table.Column("aliases"), Table.Column("created")],
                          rows: rows, footer: versions.isEmpty ? ["\(model) has no versions yet"] : [])
        session.show(table)
        return .table(table)
    })

let lineageCommand = CommandSpec(
    name: "lineage", group: .models,
    summary: "Draw a version's family tree back to its root",
    synopsis: "lineage MODEL@V",
    operands: [OperandSpec("VERSION", .version)],
    help: "Draws the tree of versions from the root of MODEL@V's lineage (its oldest ancestor) down through every descendant, with ├─/└─. The chain to MODEL@V is marked with ◀ at the version itself; each line shows the producing run, its kind and the key metric.",
    examples: ["lineage price@3", "lineage price@latest"],
    handler: { inv, session in
        guard let arg = inv.operand(0), case .version(let m?, let ref) = arg.value else { return nil }
        let store = try session.store()
        let version = try Experiments.wrap(arg.span) { try store.resolve(m, ref: Experiments.trackingRef(ref)) }
        let chain = try Experiments.wrap(arg.span) { try store.lineage(m, version: version) }
        let all = try Experiments.wrap(arg.span) { try store.versions(m) }
        let runs = try Experiments.wrap(arg.span) { try Experiments.runsByID(store, model: m) }
        guard let root = chain.last else { return nil }
        let lines = Experiments.lineageTree(model: m, root: root.version, versions: all, runs: runs, target: version,
                                            path: Set(chain.map(\.version)))
        session.print(lines.joined(separator: "\n"))
        return .version(model: m, version: version)
    })

extension Experiments {
    static func lineageTree(model: String, root: Int, versions: [VersionInfo], runs: [Int64: RunRow], target: Int,
                            path: Set<Int>) -> [String] {
        var children: [Int: [VersionInfo]] = [:]
        var byVersion: [Int: VersionInfo] = [:]
        for v in versions {
            byVersion[v.version] = v
            if let p = v.parentVersion { children[p, default: []].append(v) }
        }
        func label(_ v: Int) -> String {
            var parts = ["\(model)@\(v)"]
            if let info = byVersion[v] {
                if let r = info.run {
                    parts.append("#\(r)" + (runs[r].map { " \($0.kind.rawValue)" } ?? ""))
                }
                if let (k, value) = keyMetric(info.metrics) { parts.append("\(k) \(NumberFormat.significant(value, digits: 4))") }
                if !info.datasets.isEmpty { parts.append("on " + info.datasets.map(\.name).joined(separator: ", ")) }
                if !info.aliases.isEmpty { parts.append("[" + info.aliases.sorted().joined(separator: ", ") + "]") }
            }
            return parts.joined(separator: "  ") + (v == target ? "  ◀" : "")
        }
        var lines = [label(root)]
        func walk(_ v: Int, prefix: String, depth: Int) {
            guard depth < 10_000 else { return }
            let kids = (children[v] ?? []).sorted { $0.version < $1.version }
            for (i, kid) in kids.enumerated() {
                let last = i == kids.count - 1
                lines.append(prefix + (last ? "└─ " : "├─ ") + label(kid.version))
                walk(kid.version, prefix: prefix + (last ? "   " : "│  "), depth: depth + 1)
            }
        }
        walk(root, prefix: "", depth: 0)
        return lines
    }
}

let promoteCommand = CommandSpec(
    name: "promote", group: .models,
    summary: "Point an alias (e.g. production) at a version",
    synopsis: "promote MODEL@V as ALIAS",
    operands: [OperandSpec("VERSION", .version)],
    options: [OptionSpec("as", .name(.alias), required: true, help: "the alias to set")],
    help: "Points ALIAS of MODEL at version V, recording the change as an event (see `aliases MODEL`), so `rollback` can undo it. MODEL@ALIAS then works anywhere a version is accepted.",
    examples: ["promote price@3 as production", "promote price@latest as staging"],
    handler: { inv, session in
        guard let arg = inv.operand(0), case .version(let m?, let ref) = arg.value, let alias = inv.string("as") else { return nil }
        let store = try session.store()
        let version = try Experiments.wrap(arg.span) { try store.resolve(m, ref: Experiments.trackingRef(ref)) }
        let event = try Experiments.wrap(inv.span("as")) { try store.setAlias(m, alias: alias, version: version) }
        if let old = event.oldVersion, old != version {
            session.print("\(m)@\(alias): @\(old) → @\(version)")
        } else if event.oldVersion == version {
            session.print("\(m)@\(alias) already points at @\(version)")
        } else {
            session.print("\(m)@\(alias) → @\(version)")
        }
        return .version(model: m, version: version)
    })

let rollbackCommand = CommandSpec(
    name: "rollback", group: .models,
    summary: "Move an alias back to an earlier version (or undo its last change)",
    synopsis: "rollback MODEL [ALIAS] [to @V]",
    operands: [OperandSpec("MODEL", .name(.model)), OperandSpec("ALIAS", .name(.alias), optional: true)],
    options: [OptionSpec("to", .version, help: "the version to point the alias at")],
    help: "Points ALIAS (default production) of MODEL at version V; without `to`, returns it to where it pointed before its last change. Every rollback is recorded as an alias event, so a second `rollback MODEL` undoes the first.",
    examples: ["rollback price to @2", "rollback price staging to @1", "rollback price"],
    handler: { inv, session in
        guard let arg = inv.operand(0), let model = Experiments.modelName(arg) else { return nil }
        let alias = inv.operand(1)?.string ?? "production"
        let store = try session.store()
        var target: Int?
        if let to = inv.options["to"] {
            guard case .version(let m, let ref) = to.value else {
                throw Diagnostic("to expects a version such as @2", at: to.span)
            }
            if let m, m != model {
                throw Diagnostic("'\(m)' is not '\(model)': write 'to @N' or 'to \(model)@N'", at: to.span)
            }
            target = try Experiments.wrap(to.span) { try store.resolve(model, ref: Experiments.trackingRef(ref)) }
        }
        let event = try Experiments.wrap(inv.operand(1)?.span ?? arg.span) {
            try store.rollback(model, alias: alias, to: target)
        }
        let from = event.oldVersion.map { "@\($0)" } ?? "(unset)"
        let to = event.newVersion.map { "@\($0)" } ?? "(unset)"
        session.print("\(model)@\(alias): \(from) → \(to)")
        if let v = event.newVersion { return .version(model: model, version: v) }
        return nil
    })

let aliasesCommand = CommandSpec(
    name: "aliases", group: .models,
    summary: "List a model's alias changes (promotions and rollbacks)",
    synopsis: "aliases MODEL",
    operands: [OperandSpec("MODEL", .name(.model))],
    help: "Every alias change of MODEL, oldest first: when, which alias, from which version to which, and whether it was a promotion (set) or a rollback. The current aliases are listed below the table.",
    examples: ["aliases price"],
    handler: { inv, session in
        guard let arg = inv.operand(0), let model = Experiments.modelName(arg) else { return nil }
        let store = try session.store()
        let events = try Experiments.wrap(arg.span) { try store.aliasEvents(model) }
        let current = try Experiments.wrap(arg.span) { try store.aliases(model) }
        let rows: [[Cell]] = events.map { e in
            [.int(Int(e.id)), .text(e.alias), .text(e.action.rawValue),
             e.oldVersion.map { .text("@\($0)") } ?? .missing, e.newVersion.map { .text("@\($0)") } ?? .missing,
             .text(Experiments.iso(e.time))]
        }
        let now = current.sorted { $0.key < $1.key }.map { "\(model)@\($0.key) = @\($0.value)" }
        let table = Table(title: "aliases of \(model)",
                          columns: [Table.Column("event", alignment: .right), Table.Column("alias"), Table.Column("action"),
                                    Table.Column("from"), Table.Column("to"), Table.Column("time")],
                          rows: rows,
                          footer: now.isEmpty ? ["no aliases set"] : ["current: " + now.joined(separator: ", ")])
        session.show(table)
        return .table(table)
    })

// MARK: rerun

let rerunCommand = CommandSpec(
    name: "rerun", group: .experiments,
    summary: "Run a recorded run's command again and check the metrics reproduce bit for bit",
    synopsis: "rerun #ID",
    operands: [OperandSpec("RUN", .runID)],
    help: "Replays the command text recorded with run #ID in this session, with its recorded seed. First checks that every dataset the run used is loaded and has the same fingerprint (an error names the dataset that is missing or changed). Then compares the new run's final metrics with the old ones bit for bit and reports `identical`, or which metrics differ and which environment fields (retune version, backend, kernel, threads, OS, CPU) differ.",
    examples: ["rerun #3"],
    handler: { inv, session in
        guard let arg = inv.operand(0), let id = RunDisplay.runID(arg) else { return nil }
        let store = try session.store()
        let old = try Experiments.wrap(arg.span) { try store.run(id) }
        try Experiments.checkData(old, session: session, at: arg.span)
        guard !old.command.isEmpty else {
            throw Diagnostic("run #\(id) has no recorded command to replay", at: arg.span)
        }
        guard case .commands(let nodes) = Parser.parse(old.command, rawTail: Registry.standard.rawTailVerbs), nodes.count == 1, let node = nodes.first else {
            throw Diagnostic("the recorded command of run #\(id) does not parse as one command: \(old.command)", at: arg.span)
        }
        guard node.verb != "rerun" else {
            throw Diagnostic("run #\(id) was itself a rerun", at: arg.span)
        }
        let before = try Experiments.wrap(arg.span) { try store.runIDs(RunQuery(order: [RunOrder(.field(.id), descending: true)], limit: 1, includeDeleted: true)) }.first ?? 0
        session.print("rerun #\(id): \(old.command)")
        let savedSeed = session.settings.seed
        if let s = old.row.seed { session.settings.seed = s }
        defer { session.settings.seed = savedSeed }
        do {
            let replayed = try Registry.standard.validate(node, baseDirectory: session.baseDirectory) { _, span in
                throw Diagnostic("the recorded command refers to a cell result, which cannot be replayed", at: span)
            }
            _ = try replayed.spec.handler(replayed, session)
        } catch let d as Diagnostic {
            // The nested diagnostic's span is in the recorded text, not in this cell: re-point it.
            let column = d.span.start.column
            throw Diagnostic("replaying run #\(id) failed: \(d.message)", at: arg.span, kind: d.kind,
                             notes: ["in the recorded command \"\(old.command)\" at column \(column)"] + d.notes)
        }
        var filter = RunFilter.and(.compare(.field(.id), .gt, .number(Double(before))),
                                   .compare(.field(.kind), .eq, .string(old.row.kind.rawValue)))
        // A sweep's child: the replayed sweep's child of the same configuration.
        if let config = old.row.tags["config"], old.row.parentRun != nil {
            filter = .and(filter, .compare(.tag("config"), .eq, .string(config)))
        }
        let newer = try Experiments.wrap(arg.span) { try store.runs(RunQuery(filter: filter)) }
        guard let fresh = newer.first else {
            throw Diagnostic("replaying run #\(id) recorded no new \(old.row.kind.rawValue) run", at: arg.span)
        }
        let new = try Experiments.wrap(arg.span) { try store.run(fresh.id) }
        for line in Experiments.rerunVerdict(old: old, new: new) { session.print(line) }
        return .run(Int(fresh.id))
    })

extension Experiments {
    /// Every dataset the run used must be loaded with the same fingerprint.
    static func checkData(_ run: RunDetail, session: Session, at span: SourceSpan) throws {
        for d in run.datasets {
            guard let now = session.fingerprint(of: d.name) else {
                throw Diagnostic("run #\(run.row.id) used dataset '\(d.name)', which is not loaded", at: span,
                                 notes: ["load or generate '\(d.name)' as it was (fingerprint \(d.fingerprint.prefix(12))…) first"])
            }
            if now != d.fingerprint {
                throw Diagnostic("dataset '\(d.name)' has changed since run #\(run.row.id)", at: span,
                                 notes: ["recorded fingerprint \(d.fingerprint.prefix(12))…, now \(now.prefix(12))…"])
            }
        }
    }

    /// The comparison lines of `rerun`: identical, or which metrics and environment fields differ.
    static func rerunVerdict(old: RunDetail, new: RunDetail) -> [String] {
        var lines: [String] = []
        let keys = Set(old.row.metrics.keys).union(new.row.metrics.keys).sorted()
        var differing: [String] = []
        for k in keys {
            let a = old.row.metrics[k], b = new.row.metrics[k]
            let same: Bool
            switch (a, b) {
            case let (x?, y?): same = x.bitPattern == y.bitPattern || (x.isNaN && y.isNaN)
            default: same = false
            }
            if !same {
                let fa = a.map { NumberFormat.roundTrip($0) } ?? "—", fb = b.map { NumberFormat.roundTrip($0) } ?? "—"
                differing.append("  \(k): \(fa) → \(fb)")
            }
        }
        let envDiff = environmentDifferences(old.environment, new.environment)
        if differing.isEmpty {
            lines.append("identical: run #\(new.row.id) reproduces the \(keys.count) final metric\(keys.count == 1 ? "" : "s") of run #\(old.row.id) bit for bit")
        } else {
            lines.append("different: \(differing.count) of \(keys.count) final metrics of run #\(new.row.id) differ from run #\(old.row.id)")
            lines += differing
            if envDiff.isEmpty {
                lines.append("the recorded environment is the same (retune, backend, kernel, threads, os, cpu)")
            }
        }
        if !envDiff.isEmpty {
            lines.append("environment differs:")
            lines += envDiff.map { "  " + $0 }
        }
        return lines
    }

    static func environmentDifferences(_ a: RunEnvironment, _ b: RunEnvironment) -> [String] {
        var out: [String] = []
        func check(_ name: String, _ x: String, _ y: String) { if x != y { out.append("\(name): \(x) → \(y)") } }
        check("retune", a.retuneVersion, b.retuneVersion)
        check("backend", a.backend, b.backend)
        check("kernel", a.kernel, b.kernel)
        check("threads", String(a.threads), String(b.threads))
        check("os", a.os, b.os)
        check("cpu", a.cpu, b.cpu)
        return out
    }
}
