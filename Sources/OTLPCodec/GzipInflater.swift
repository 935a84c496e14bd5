import CZlib

/// Inflates a gzip (or zlib, HTTP's `deflate`) body with zlib, refusing to grow past a limit so
/// that a compressed bomb costs at most `limit` bytes of memory.
public enum GzipInflater {
    public enum Wrapper: Sendable {
        /// RFC 1952, possibly several members.
        case gzip
        /// RFC 1950, one stream.
        case zlib
    }

    /// The inflated size a gzip body's trailer states (ISIZE, RFC 1952: the size modulo 2^32 of
    /// its last member); a hint for reserving memory, never trusted as a limit.
    public static func declaredSize(_ body: [UInt8]) -> Int? {
        guard body.count >= 18, body[0] == 0x1F, body[1] == 0x8B else { return nil }
        let tail = body.suffix(4)
        return tail.reversed().reduce(0) { $0 << 8 | Int($1) }
    }

    /// `admit` is asked before each chunk of output is kept, with the chunk's size; false stops
    /// the inflation with `budgetExhausted` (the caller's memory budget is spent).
    public static func inflate(_ input: [UInt8], limit: Int, wrapper: Wrapper = .gzip,
                               admit: ((Int) -> Bool)? = nil) throws(DecodeError) -> [UInt8] {
        var stream = z_stream()
        let name = wrapper == .gzip ? "gzip" : "deflate"
        // The largest window; + 16 reads a gzip wrapper, without it a zlib one (never raw deflate).
        guard ingate_inflate_init2(&stream, wrapper == .gzip ? 15 + 16 : 15) == Z_OK else {
            throw .malformed("\(name): cannot initialise the inflater")
        }
        defer { inflateEnd(&stream) }

        var output: [UInt8] = []
        // Reserve the whole limit up front: pages never written are never resident, and the
        // array never doubles into a copy, so memory stays at the bytes actually inflated.
        output.reserveCapacity(limit)
        let chunkSize = 64 << 10
        var chunk = [UInt8](repeating: 0, count: chunkSize)
        var status: Int32 = Z_OK

        try input.withUnsafeBufferPointer { (inBuffer) throws(DecodeError) in
            stream.next_in = UnsafeMutablePointer(mutating: inBuffer.baseAddress)
            stream.avail_in = UInt32(inBuffer.count)
            while true {
                let produced = chunk.withUnsafeMutableBufferPointer { outBuffer -> Int in
                    stream.next_out = outBuffer.baseAddress
                    stream.avail_out = UInt32(chunkSize)
                    status = CZlib.inflate(&stream, Z_NO_FLUSH)
                    return chunkSize - Int(stream.avail_out)
                }
                switch status {
                case Z_OK, Z_STREAM_END, Z_BUF_ERROR:
                    break
                default:
                    throw .malformed("\(name): corrupt data at compressed byte \(Int(stream.total_in))")
                }
                if output.count + produced > limit {
                    throw .inflatedTooLarge(limit: limit)
                }
                if let admit, produced > 0, !admit(produced) { throw .budgetExhausted }
                output.append(contentsOf: chunk[0..<produced])
                if status == Z_BUF_ERROR && produced == 0 {
                    throw .malformed("\(name): truncated stream after \(Int(stream.total_in)) compressed bytes")
                }
                guard status == Z_STREAM_END else { continue }
                // RFC 1952 allows several members one after the other; anything else after the
                // end of a member is not gzip, and a body we cannot read whole is refused.
                let rest = Int(stream.avail_in)
                if rest == 0 { break }
                let offset = inBuffer.count - rest
                guard wrapper == .gzip, rest >= 2, inBuffer[offset] == 0x1F, inBuffer[offset + 1] == 0x8B else {
                    throw .malformed("\(name): \(rest) bytes after the end of the \(name) stream at compressed byte \(offset)")
                }
                guard inflateReset(&stream) == Z_OK else { throw .malformed("gzip: cannot restart the inflater") }
            }
        }
        return output
    }
}
