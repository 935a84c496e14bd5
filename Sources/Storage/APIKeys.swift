import APIKeys
import Foundation
import LLMLog

extension SQLiteLogStore {
    /// Creates a key and returns it; this is the only time the key exists in clear.
    public func createKey(name: String, key: String = APIKeyFormat.generate()) throws(StoreError) -> (id: Int64, key: String) {
        (try addKey(name: name, key: key), key)
    }

    public func addKey(name: String, key: String) throws(StoreError) -> Int64 {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        return try withConnection { (db) throws(StorageError) -> Int64 in
            let insert = try db.prepare("INSERT INTO api_keys (name, key_hash, created_at) VALUES (?, ?, ?)")
            insert.bind(1, name)
            insert.bind(2, APIKeyFormat.sha256Hex(key))
            insert.bind(3, now)
            try insert.run()
            return db.lastInsertRowID
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
            let query = try db.prepare("SELECT id, name, created_at, revoked_at FROM api_keys ORDER BY id")
            var keys: [APIKeyInfo] = []
            while try query.step() {
                keys.append(APIKeyInfo(id: query.int64(0) ?? 0, name: query.string(1) ?? "",
                                       createdAt: query.int64(2) ?? 0, revokedAt: query.int64(3)))
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

    /// The id of the key with this SHA-256 if it is not revoked.
    public func activeKeyID(hash: [UInt8]) throws(StoreError) -> Int64? {
        try withConnection { (db) throws(StorageError) -> Int64? in
            let query = try db.prepare("SELECT id FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL")
            query.bind(1, Hex.encode(hash))
            return try query.step() ? query.int64(0) : nil
        }
    }

    /// Every key that is not revoked, as (id, SHA-256 bytes).
    public func activeKeys() throws(StoreError) -> [ActiveKey] {
        try withConnection { (db) throws(StorageError) -> [ActiveKey] in
            let query = try db.prepare("SELECT id, key_hash FROM api_keys WHERE revoked_at IS NULL")
            var keys: [ActiveKey] = []
            while try query.step() {
                guard let id = query.int64(0), let hex = query.string(1), let hash = Hex.decode(hex) else { continue }
                keys.append(ActiveKey(id: id, hash: hash))
            }
            return keys
        }
    }
}
