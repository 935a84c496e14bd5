import APIKeys
import Foundation
import LLMLog

extension PostgresLogStore {
    public func addKey(name: String, key: String, contentPolicy: ContentPolicy, scope: KeyScope,
                       readable: ReadableKeys) throws(StoreError) -> Int64 {
        let now = String(Int64(Date().timeIntervalSince1970 * 1000))
        return try writing { (db) throws(StorageError) -> Int64 in
            let row = try db.execute("""
                INSERT INTO api_keys (name, key_hash, created_at, content_policy, scope, readable_keys)
                VALUES ($1, $2, $3, $4, $5, $6) RETURNING id
                """, [PostgresValues.text(name), APIKeyFormat.sha256Hex(key), now, contentPolicy.rawValue, scope.rawValue,
                      KeyColumns.text(readable)])
            return Int64(row.first?[0] ?? "") ?? 0
        }
    }

    public func setContentPolicy(id: Int64, _ policy: ContentPolicy) throws(StoreError) {
        try writing { (db) throws(StorageError) in
            let updated = try db.execute("UPDATE api_keys SET content_policy = $1 WHERE id = $2", [policy.rawValue, String(id)])
            guard updated.changed == 1 else { throw .noSuchKey(id) }
        }
    }

    public func keyID(forKey key: String) throws(StoreError) -> Int64? {
        try reading { (db) throws(StorageError) -> Int64? in
            try db.execute("SELECT id FROM api_keys WHERE key_hash = $1", [APIKeyFormat.sha256Hex(key)]).first?[0].flatMap { Int64($0) }
        }
    }

    public func listKeys() throws(StoreError) -> [APIKeyInfo] {
        try reading { (db) throws(StorageError) -> [APIKeyInfo] in
            try db.execute("""
                SELECT id, name, created_at, revoked_at, content_policy, scope, readable_keys FROM api_keys ORDER BY id
                """).rows.map { row in
                APIKeyInfo(id: Int64(row[0] ?? "") ?? 0, name: row[1] ?? "", createdAt: Int64(row[2] ?? "") ?? 0,
                           revokedAt: row[3].flatMap { Int64($0) }, contentPolicy: ContentPolicy(stored: row[4]),
                           scope: KeyScope(stored: row[5]), readable: KeyColumns.readable(row[6]))
            }
        }
    }

    public func revokeKey(id: Int64) throws(StoreError) {
        let now = String(Int64(Date().timeIntervalSince1970 * 1000))
        try writing { (db) throws(StorageError) in
            guard try db.execute("SELECT 1 FROM api_keys WHERE id = $1", [String(id)]).first != nil else { throw .noSuchKey(id) }
            try db.execute("UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL", [now, String(id)])
        }
    }

    public func activeKey(hash: [UInt8]) throws(StoreError) -> ActiveKey? {
        try reading { (db) throws(StorageError) -> ActiveKey? in
            guard let row = try db.execute("SELECT id, content_policy, scope FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL",
                                           [Hex.encode(hash)]).first, let id = row[0].flatMap({ Int64($0) }) else { return nil }
            return ActiveKey(id: id, hash: hash, contentPolicy: ContentPolicy(stored: row[1]), scope: KeyScope(stored: row[2]))
        }
    }

    public func activeKeys() throws(StoreError) -> [ActiveKey] {
        try reading { (db) throws(StorageError) -> [ActiveKey] in
            try db.execute("SELECT id, key_hash, content_policy, scope FROM api_keys WHERE revoked_at IS NULL").rows.compactMap { row in
                guard let id = row[0].flatMap({ Int64($0) }), let hash = row[1].flatMap(Hex.decode) else { return nil }
                return ActiveKey(id: id, hash: hash, contentPolicy: ContentPolicy(stored: row[2]), scope: KeyScope(stored: row[3]))
            }
        }
    }
}
