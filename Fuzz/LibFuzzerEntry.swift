// libFuzzer entry over the lexer and parser. Built by scripts/fuzz-libfuzzer with
// `swiftc -sanitize=fuzzer,address` together with Sources/Language (not part of the package).
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let source = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    if let failure = ParserFuzzer.check(source) {
        fatalError("invariant broken: \(failure)")
    }
    return 0
}
