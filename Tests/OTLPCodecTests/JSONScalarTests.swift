import Testing
@testable import OTLPCodec

/// Integers read from a string's bytes in place agree with the general reading of the string.
@Suite struct JSONScalarTests {
    static let texts = ["0", "7", "007", "-0", "-1", "+5", "", "-", "1764000000000000000", "9223372036854775807",
                        "9223372036854775808", "-9223372036854775808", "-9223372036854775809", "18446744073709551615",
                        "18446744073709551616", "99999999999999999999", "4294967295", "4294967296", "2147483648",
                        "-2147483649", "1e3", "1.0", "1.5", "12abc", " 1", "1 ", "١٢", "0x10"]

    func agree<T: FixedWidthInteger>(_ type: T.Type) {
        for text in Self.texts {
            let inPlace = Array(text.utf8).withUnsafeBufferPointer { parseInteger($0, as: type) }
            #expect(inPlace == parseInteger(text, as: type), "\(text) as \(type)")
        }
    }

    @Test func inPlaceIntegersAgreeWithTheGeneralReading() {
        agree(Int64.self)
        agree(UInt64.self)
        agree(UInt32.self)
        agree(Int32.self)
    }
}
