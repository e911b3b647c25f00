import Foundation
import Language
import Render
import Tracking

// MARK: store

let storeCommand = CommandSpec(
    name: "store", group: .store,
    summary: "Show which store this session uses, or copy a whole store to another (SQLite ↔ PostgreSQL)",
    synopsis: "store | store copy FROM TO [overwrite]",
    operands: [OperandSpec("ACTION", .choice(["copy"]), optional: true, help: "copy: copy every table of FROM into TO"),
               OperandSpec("FROM", .any, optional: true,
                           help: "the source: a quoted SQLite file or postgres://… URL, or current (this session's store)"),
               OperandSpec("TO", .any, optional: true, help: "the target, spelled the same way; it must be new or empty")],
    options: [OptionSpec("overwrite", .flag, help: "replace an existing SQLite target file (a PostgreSQL target must be empty)")],
    help: """
    `store` prints the backend and location of this session's store: an SQLite file, or a PostgreSQL server \
    (`--store postgres://user@host:port/db`, password never shown). `store copy FROM TO` copies every table \
    (runs, parameters, metrics and curves, tags, datasets, models, versions with their weights, aliases and \
    their history, sessions and cells) from one store into another, keeping every id, in one transaction on \
    the target. It prints the rows per table on both sides and a SHA-256 checksum of the runs and what hangs \
    off them (parameters, metrics, curves, tags, datasets, versions, aliases) read back from each; if they \
    differ nothing is written. Use it to move a notebook's history to the team server, or back.
    """,
    examples: ["store", "store copy \"retune.db\" \"postgres://me@db.example:5432/team\"",
               "store copy current \"backup.db\" overwrite"],
    completer: { _, ctx in
        switch ctx.previousWords.count {
        case 1: return ["copy"].filter { $0.hasPrefix(ctx.prefix) }
        case 2, 3: return ["current"].filter { $0.hasPrefix(ctx.prefix) }
        default: return []
        }
    },
    handler: { inv, session in
        guard inv.operand(0) != nil else {
            let store = try session.store()
            session.print("store: \(store.path) (\(store.dialect == .postgres ? "PostgreSQL" : "SQLite"), schema \(Store.schemaVersion))")
            return nil
        }
        guard let fromArg = inv.operand(1), let toArg = inv.operand(2) else {
            throw Diagnostic.syntax("store copy needs a source and a target", at: inv.node.span,
                                    notes: ["example: store copy \"retune.db\" \"postgres://me@host:5432/team\""])
        }
        func location(_ arg: Argument) throws -> String {
            if case .name("current") = arg.value { return session.storePath }
            guard let text = arg.string else {
                throw Diagnostic("expected a quoted store path or URL, or current, got '\(Invocation.text(of: arg))'", at: arg.span)
            }
            return PostgresURL.isPostgres(text) ? text : inv.resolvePath(text)
        }
        let from = try location(fromArg), to = try location(toArg)
        guard Store.displayName(from) != Store.displayName(to) else {
            throw Diagnostic("store copy needs two different stores, got '\(Store.displayName(from))' twice", at: toArg.span)
        }
        if !PostgresURL.isPostgres(from) && !FileManager.default.fileExists(atPath: from) {
            throw Diagnostic("no store at \(from)", at: fromArg.span, kind: .io)
        }
        if !PostgresURL.isPostgres(to) && FileManager.default.fileExists(atPath: to) {
            guard inv.flag("overwrite") else {
                throw Diagnostic("\(to) exists; add 'overwrite' to replace it", at: toArg.span, kind: .io)
            }
            for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: to + suffix) {
                do { try FileManager.default.removeItem(atPath: to + suffix) } catch {
                    throw Diagnostic("cannot replace \(to + suffix): \(error.localizedDescription)", at: toArg.span, kind: .io)
                }
            }
        }
        let result = try Experiments.wrap(inv.node.span) { () throws -> Store.CopyResult in
            let source = from == session.storePath ? try session.store() : try Store(path: from)
            let target = to == session.storePath ? try session.store() : try Store(path: to)
            return try target.copy(from: source)
        }
        session.print("copied \(Store.displayName(from)) → \(Store.displayName(to))")
        let rows = zip(result.source.counts, result.target.counts).map { s, t -> [Cell] in [.text(s.table), .int(s.rows), .int(t.rows)] }
        session.show(Table(headers: ["table", "source rows", "target rows"], rows: rows))
        session.print("checksum sha256:\(result.source.checksum) (source)")
        session.print("checksum sha256:\(result.target.checksum) (target): equal")
        return nil
    })
