#if FUZZING
/// libFuzzer entry point (`make fuzz`): arbitrary bytes through the decoders and the mappers.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    decode(Array(UnsafeBufferPointer(start: data, count: size)), format: fuzzInput.format, coding: fuzzInput.coding)
    return 0
}

/// SwiftPM links an executable's entry point under this name; hand control to libFuzzer.
@_cdecl("FuzzExport_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzzOneInput)
}
#else
/// Built without `-DFUZZING` (a plain `swift build`) this is a stub: run `make fuzz`.
@main
enum Stub {
    static func main() { print("build with `make fuzz`") }
}
#endif
