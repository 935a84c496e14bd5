import Crypto
import Foundation
import LLMLog

/// The form of Ingate's API keys and the one way they are hashed, shared by the stores (which
/// keep only the hash) and ingestion (which hashes what a request presents).
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

    /// Equal bytes, in a time that depends on the length only: a comparison of secrets (key
    /// digests, session and CSRF tokens) says nothing of how much of one was right.
    public static func constantTimeEqual(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }
}
