import Foundation
import Testing
@testable import Tracking

@Suite struct ReadOnlySQLTests {
    @Test func selectsWork() throws {
        let store = try Store.temporary()
        try addFinishedRun(store, kind: .train, metrics: ["rmse": 0.5])
        try addFinishedRun(store, kind: .train, metrics: ["rmse": 0.25])
        try addFinishedRun(store, kind: .finetune, metrics: ["rmse": 0.125])
        let table = try store.readOnlySQL("select kind, count(*) as n from runs group by kind order by kind")
        #expect(table.columns == ["kind", "n"])
        #expect(table.rows == [[.text("finetune"), .integer(1)], [.text("train"), .integer(2)]])
        let joined = try store.readOnlySQL("""
            WITH m AS (SELECT run_id, value FROM final_metrics WHERE key = 'rmse')
            SELECT r.id, m.value FROM runs r JOIN m ON m.run_id = r.id ORDER BY m.value LIMIT 1;
            """)
        #expect(joined.rows == [[.integer(3), .real(0.125)]])
        #expect(try store.readOnlySQL("PRAGMA table_info(runs)").rows.count > 20)
        #expect(try store.readOnlySQL("SELECT NULL, x'0102'").rows == [[.null, .blob([1, 2])]])
    }

    @Test(arguments: [
        ("INSERT INTO tags(run_id, key, value) VALUES (1, 'a', 'b')", "INSERT"),
        ("UPDATE runs SET status = 'failed'", "UPDATE"),
        ("DELETE FROM runs", "DELETE"),
        ("DROP TABLE runs", "DROP runs"),
        ("CREATE TABLE evil(x)", "CREATE evil"),
        ("ALTER TABLE runs ADD COLUMN evil", "ALTER"),
        ("ATTACH DATABASE ':memory:' AS other", "ATTACH"),
        ("PRAGMA user_version = 5", "PRAGMA user_version"),
        ("PRAGMA journal_mode = DELETE", "PRAGMA journal_mode"),
        ("PRAGMA foreign_keys = OFF", "PRAGMA foreign_keys"),
        ("PRAGMA wal_checkpoint(TRUNCATE)", "PRAGMA wal_checkpoint"),
        ("BEGIN IMMEDIATE", "transaction"),
        ("INSERT INTO sqlite_master VALUES ('table', 'x', 'x', 0, '')", "sqlite_master"),
        ("VACUUM", "not allowed"),
        ("SELECT load_extension('x')", "load_extension"),
    ])
    func writesAreRefused(sql: String, reasonFragment: String) throws {
        let store = try Store.temporary()
        let id = try addFinishedRun(store, metrics: ["rmse": 1])
        #expect {
            try store.readOnlySQL(sql)
        } throws: { error in
            guard let error = error as? StoreError else { return false }
            switch error {
            case .readOnlyViolation: break
            case .sqlError(_, let message) where sql == "VACUUM": return message.contains("not authorized") || message.contains("readonly")
            default: return false
            }
            return error.description.contains(reasonFragment) && error.description.hasPrefix("sql is read-only")
        }
        #expect(try store.run(id).row.status == .finished)
        #expect(try store.fileSchemaVersion() == Store.schemaVersion)
        #expect(try store.runs().count == 1)
    }

    @Test func oneStatementAtATimeAndErrorsNameTheStatement() throws {
        let store = try Store.temporary()
        #expect(throws: StoreError.sqlError(statement: "SELECT 1; DELETE FROM runs", message: "only one statement at a time")) {
            try store.readOnlySQL("SELECT 1; DELETE FROM runs")
        }
        #expect(try store.readOnlySQL("SELECT 1;  ").rows == [[.integer(1)]])
        #expect {
            try store.readOnlySQL("SELEC nonsense")
        } throws: { error in
            guard case let .sqlError(statement, message) = error as? StoreError else { return false }
            return statement == "SELEC nonsense" && message.contains("syntax error")
        }
    }
}
