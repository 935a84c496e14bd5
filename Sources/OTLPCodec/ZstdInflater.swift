import CZstd

/// Decompresses a zstd body (RFC 8878; frames one after another are read whole), refusing to
/// grow past a limit, as `GzipInflater` does for gzip. The only code that holds libzstd's handles.
public enum ZstdInflater {
    /// Windows larger than this (16 MiB) are refused: a frame's window is memory we must hold.
    static let maxWindowLog: Int32 = 24

    public static func inflate(_ input: [UInt8], limit: Int, admit: ((Int) -> Bool)? = nil) throws(DecodeError) -> [UInt8] {
        guard !input.isEmpty else { throw .malformed("zstd: empty body") }
        guard let stream = ZSTD_createDStream() else { throw .malformed("zstd: cannot create the decompressor") }
        defer { ZSTD_freeDStream(stream) }
        _ = ZSTD_DCtx_setParameter(stream, ZSTD_d_windowLogMax, maxWindowLog)

        var output: [UInt8] = []
        let chunkSize = 64 << 10
        var chunk = [UInt8](repeating: 0, count: chunkSize)
        try input.withUnsafeBufferPointer { (inBuffer) throws(DecodeError) in
            var source = ZSTD_inBuffer(src: inBuffer.baseAddress, size: inBuffer.count, pos: 0)
            var lastResult = 0
            while true {
                var failure: String?
                let produced = chunk.withUnsafeMutableBufferPointer { outBuffer -> Int in
                    var target = ZSTD_outBuffer(dst: outBuffer.baseAddress, size: chunkSize, pos: 0)
                    let result = ZSTD_decompressStream(stream, &target, &source)
                    if ZSTD_isError(result) != 0 {
                        failure = String(cString: ZSTD_getErrorName(result))
                    } else {
                        lastResult = result
                    }
                    return target.pos
                }
                if let failure { throw .malformed("zstd: \(failure) at compressed byte \(source.pos)") }
                if output.count + produced > limit { throw .inflatedTooLarge(limit: limit) }
                if let admit, produced > 0, !admit(produced) { throw .budgetExhausted }
                output.append(contentsOf: chunk[0..<produced])
                // All input read and nothing more to flush: done, if the last frame was complete.
                if source.pos == source.size && produced < chunkSize {
                    guard lastResult == 0 else { throw .malformed("zstd: truncated frame after \(source.size) compressed bytes") }
                    break
                }
            }
        }
        return output
    }
}
