import LLMLog
import Crypto
import Foundation

/// An API key as listed; the key itself is never stored, only its SHA-256.
public struct APIKeyInfo: Equatable, Sendable {
    public var id: Int64
    public var name: String
    /// Unix milliseconds.
    public var createdAt: Int64
    public var revokedAt: Int64?
}

/// An active key's id and the SHA-256 of the key string.
public struct ActiveKey: Sendable {
    public var id: Int64
    public var hash: [UInt8]

    public init(id: Int64, hash: [UInt8]) {
        self.id = id
        self.hash = hash
    }
}

public enum APIKeyFormat {
    public static let prefix = "sk-ingate-"

    /// `sk-ingate-` and 40 random base62 characters (≈ 238 bits).
    public static func generate() -> String {
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
        var generator = SystemRandomNumberGenerator()
        let body = (0..<40).map { _ in alphabet[Int(generator.next(upperBound: UInt64(alphabet.count)))] }
        return prefix + String(body)
    }

    public static func sha256(_ key: String) -> [UInt8] {
        Array(SHA256.hash(data: Data(key.utf8)))
    }

    public static func sha256Hex(_ key: String) -> String {
        Hex.encode(sha256(key))
    }
}

extension LogStore {
    /// Creates a key and returns it; this is the only time the key exists in clear.
    public func createKey(name: String, key: String = APIKeyFormat.generate()) throws(StorageError) -> (id: Int64, key: String) {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        return try withConnection { (db) throws(StorageError) -> (id: Int64, key: String) in
            let insert = try db.prepare("INSERT INTO api_keys (name, key_hash, created_at) VALUES (?, ?, ?)")
            insert.bind(1, name)
            insert.bind(2, APIKeyFormat.sha256Hex(key))
            insert.bind(3, now)
            try insert.run()
            return (db.lastInsertRowID, key)
        }
    }

    /// The id of the key with this exact value, if it exists (revoked or not).
    public func keyID(forKey key: String) throws(StorageError) -> Int64? {
        try withConnection { (db) throws(StorageError) -> Int64? in
            let query = try db.prepare("SELECT id FROM api_keys WHERE key_hash = ?")
            query.bind(1, APIKeyFormat.sha256Hex(key))
            return try query.step() ? query.int64(0) : nil
        }
    }

    public func listKeys() throws(StorageError) -> [APIKeyInfo] {
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
    public func revokeKey(id: Int64) throws(StorageError) {
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
    public func activeKeyID(hash: [UInt8]) throws(StorageError) -> Int64? {
        try withConnection { (db) throws(StorageError) -> Int64? in
            let query = try db.prepare("SELECT id FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL")
            query.bind(1, Hex.encode(hash))
            return try query.step() ? query.int64(0) : nil
        }
    }

    /// Every key that is not revoked, as (id, SHA-256 bytes).
    public func activeKeys() throws(StorageError) -> [ActiveKey] {
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
