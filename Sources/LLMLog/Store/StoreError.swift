/// Why a store refused a call, as much as its callers need to know: whether trying again later can
/// help (busy, unreachable, disk full: 503 with `Retry-After`) or not (a damaged database, a bug,
/// a key that does not exist: 500 or a command's error). The message names the cause for the log.
public struct StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    public var isRetryable: Bool
    public var message: String

    public static func retryable(_ message: String) -> StoreError { StoreError(isRetryable: true, message: message) }
    public static func permanent(_ message: String) -> StoreError { StoreError(isRetryable: false, message: message) }

    public var description: String { message }
}
