import APIKeys
import Foundation
import LLMLog

extension SQLiteLogStore {
    public func addKey(name: String, key: String, contentPolicy: ContentPolicy, scope: KeyScope,
                       readable: ReadableKeys) throws(StoreError) -> Int64 {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        return try withConnection { (db) throws(StorageError) -> Int64 in
            let insert = try db.prepare("""
                INSERT INTO api_keys (name, key_hash, created_at, content_policy, scope, readable_keys) VALUES (?, ?, ?, ?, ?, ?)
                """)
            insert.bind(1, name)
            insert.bind(2, APIKeyFormat.sha256Hex(key))
            insert.bind(3, now)
            insert.bind(4, contentPolicy.rawValue)
            insert.bind(5, scope.rawValue)
            insert.bind(6, KeyColumns.text(readable))
            try insert.run()
            return db.lastInsertRowID
        }
    }

    public func setContentPolicy(id: Int64, _ policy: ContentPolicy) throws(StoreError) {
        try withConnection { (db) throws(StorageError) in
            let update = try db.prepare("UPDATE api_keys SET content_policy = ? WHERE id = ?")
            update.bind(1, policy.rawValue)
            update.bind(2, id)
            try update.run()
            guard db.changes == 1 else { throw .noSuchKey(id) }
        }
    }

    /// The id of the key with this exact value, if it exists (revoked or not).
    public func keyID(forKey key: String) throws(StoreError) -> Int64? {
        try withConnection { (db) throws(StorageError) -> Int64? in
            let query = try db.prepare("SELECT id FROM api_keys WHERE key_hash = ?")
            query.bind(1, APIKeyFormat.sha256Hex(key))
            return try query.step() ? query.int64(0) : nil
        }
    }

    public func listKeys() throws(StoreError) -> [APIKeyInfo] {
        try withConnection { (db) throws(StorageError) -> [APIKeyInfo] in
            let query = try db.prepare("""
                SELECT id, name, created_at, revoked_at, content_policy, scope, readable_keys FROM api_keys ORDER BY id
                """)
            var keys: [APIKeyInfo] = []
            while try query.step() {
                keys.append(APIKeyInfo(id: query.int64(0) ?? 0, name: query.string(1) ?? "",
                                       createdAt: query.int64(2) ?? 0, revokedAt: query.int64(3),
                                       contentPolicy: ContentPolicy(stored: query.string(4)),
                                       scope: KeyScope(stored: query.string(5)), readable: KeyColumns.readable(query.string(6))))
            }
            return keys
        }
    }

    /// Revokes a key; revoking twice keeps the first time.
    public func revokeKey(id: Int64) throws(StoreError) {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        try withConnection { (db) throws(StorageError) in
            let exists = try db.prepare("SELECT 1 FROM api_keys WHERE id = ?")
            exists.bind(1, id)
            guard try exists.step() else { throw .noSuchKey(id) }
            let update = try db.prepare("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")
            update.bind(1, now)
            update.bind(2, id)
            try update.run()
        }
    }

    /// The key with this SHA-256 if it is not revoked.
    public func activeKey(hash: [UInt8]) throws(StoreError) -> ActiveKey? {
        try withConnection { (db) throws(StorageError) -> ActiveKey? in
            let query = try db.prepare("SELECT id, content_policy, scope FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL")
            query.bind(1, Hex.encode(hash))
            guard try query.step(), let id = query.int64(0) else { return nil }
            return ActiveKey(id: id, hash: hash, contentPolicy: ContentPolicy(stored: query.string(1)),
                             scope: KeyScope(stored: query.string(2)))
        }
    }

    /// Every key that is not revoked, as (id, SHA-256 bytes).
    public func activeKeys() throws(StoreError) -> [ActiveKey] {
        try withConnection { (db) throws(StorageError) -> [ActiveKey] in
            let query = try db.prepare("SELECT id, key_hash, content_policy, scope FROM api_keys WHERE revoked_at IS NULL")
            var keys: [ActiveKey] = []
            while try query.step() {
                guard let id = query.int64(0), let hex = query.string(1), let hash = Hex.decode(hex) else { continue }
                keys.append(ActiveKey(id: id, hash: hash, contentPolicy: ContentPolicy(stored: query.string(2)),
                                      scope: KeyScope(stored: query.string(3))))
            }
            return keys
        }
    }
}

extension LogStore {
    /// Creates a key and returns it; this is the only time the key exists in clear.
    public func createKey(name: String, key: String = APIKeyFormat.generate(), contentPolicy: ContentPolicy = .full,
                          scope: KeyScope = .ingest, readable: ReadableKeys = .all) throws(StoreError) -> (id: Int64, key: String) {
        (try addKey(name: name, key: key, contentPolicy: contentPolicy, scope: scope, readable: readable), key)
    }
}

/// The store a database name chooses: PostgreSQL for a `postgresql://` or `postgres://` URL,
/// else the SQLite file at that path.
public func openLogStore(_ database: String, busyTimeoutMilliseconds: Int32 = 5_000,
                         joiningContent join: @escaping ContentJoinRule) throws(StoreError) -> any LogStore {
    if PostgresLogStore.handles(database) { return try PostgresLogStore(url: database, joiningContent: join) }
    return try SQLiteLogStore(path: database, busyTimeoutMilliseconds: busyTimeoutMilliseconds, joiningContent: join)
}

/// How both backends keep a read key's keys: their ids as `1,5,7`, NULL for every key's rows.
enum KeyColumns {
    static func text(_ readable: ReadableKeys) -> String? {
        readable.ids.map { $0.map(String.init).joined(separator: ",") }
    }

    static func readable(_ text: String?) -> ReadableKeys {
        guard let text else { return .all }
        return .only(text.split(separator: ",").compactMap { Int64($0) })
    }
}
