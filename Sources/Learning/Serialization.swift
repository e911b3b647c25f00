import Foundation
import Tabular

/// Versioned binary weights format (little-endian), format version 1:
///
/// | offset | size | content |
/// |---|---|---|
/// | 0 | 4 | magic `RTNW` (0x52 0x54 0x4E 0x57) |
/// | 4 | 2 | format version, UInt16 (1) |
/// | 6 | 2 | reserved, 0 |
/// | 8 | 4 | M, UInt32: length of the metadata |
/// | 12 | M | metadata: UTF-8 JSON of spec, preprocessor, task, output, target scaling, precision, kernel and the layer shapes (a segment model adds `routing`: column, base version, and per route its label, version and weights blob in this format, base64) |
/// | 12+M | … | per layer: inputs·outputs weights (row-major inputs × outputs) then outputs biases, IEEE-754 Float64 |
/// | end−8 | 8 | FNV-1a 64 of every preceding byte, UInt64 |
///
/// Float32-trained weights are stored widened to Float64 (exact), so a round trip is lossless.
extension TrainedModel {
    public static let weightsMagic: [UInt8] = [0x52, 0x54, 0x4E, 0x57]
    public static let weightsFormatVersion: UInt16 = 1

    struct Metadata: Codable {
        var spec: ModelSpec
        var preprocessor: Preprocessor
        var task: ModelSpec.Task
        var output: OutputKind
        var targetMean: Double
        var targetStd: Double
        var precision: Precision
        var kernel: String
        var shapes: [[Int]]
        /// A segment model's routing, each route's model as its own weights blob (absent otherwise).
        var routing: RoutingMetadata?
    }

    struct RoutingMetadata: Codable {
        var column: String
        var baseVersion: Int
        var routes: [RouteMetadata]
    }

    struct RouteMetadata: Codable {
        var label: String
        var version: Int
        var weights: Data
    }

    static func fnv1a(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        return h
    }

    public func serialize() throws -> [UInt8] {
        let meta = Metadata(spec: spec, preprocessor: preprocessor, task: task, output: output, targetMean: targetMean,
                            targetStd: targetStd, precision: precision, kernel: kernel,
                            shapes: layers.map { [$0.inputs, $0.outputs] },
                            routing: try routing.map { r in
                                RoutingMetadata(column: r.column, baseVersion: r.baseVersion,
                                                routes: try r.routes.map { RouteMetadata(label: $0.label, version: $0.version, weights: Data(try $0.model.serialize())) })
                            })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json: Data
        do { json = try encoder.encode(meta) } catch { throw LearningError.badWeights("cannot encode metadata: \(error)") }
        var out: [UInt8] = TrainedModel.weightsMagic
        func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        put(TrainedModel.weightsFormatVersion)
        put(UInt16(0))
        put(UInt32(json.count))
        out.append(contentsOf: json)
        for layer in layers {
            for v in layer.weights { put(v.bitPattern) }
            for v in layer.bias { put(v.bitPattern) }
        }
        put(TrainedModel.fnv1a(out[...]))
        return out
    }

    public static func deserialize(_ bytes: [UInt8]) throws -> TrainedModel {
        if bytes.count < 20 { throw LearningError.badWeights("\(bytes.count) bytes is too short for a weights file") }
        if Array(bytes[0..<4]) != weightsMagic {
            throw LearningError.badWeights("bad magic \(bytes[0..<4].map { String(format: "%02x", $0) }.joined()) (expected 52544e57 'RTNW')")
        }
        func read<T: FixedWidthInteger>(_ t: T.Type, at offset: Int) -> T {
            var v: T = 0
            for i in 0..<MemoryLayout<T>.size { v |= T(bytes[offset + i]) << (8 * i) }
            return v
        }
        let version = read(UInt16.self, at: 4)
        if version != weightsFormatVersion {
            throw LearningError.badWeights("format version \(version) is not supported (this build reads version \(weightsFormatVersion))")
        }
        let stored = read(UInt64.self, at: bytes.count - 8)
        if fnv1a(bytes[0..<(bytes.count - 8)]) != stored { throw LearningError.badWeights("checksum mismatch: the weights are corrupted") }
        let m = Int(read(UInt32.self, at: 8))
        if 12 + m > bytes.count - 8 { throw LearningError.badWeights("metadata length \(m) runs past the end of the data") }
        let meta: Metadata
        do { meta = try JSONDecoder().decode(Metadata.self, from: Data(bytes[12..<(12 + m)])) } catch {
            throw LearningError.badWeights("metadata is not valid: \(error)")
        }
        var offset = 12 + m
        var layers: [DenseLayer] = []
        for shape in meta.shapes {
            guard shape.count == 2, shape[0] >= 0, shape[1] > 0, shape[0] <= 1 << 24, shape[1] <= 1 << 24 else {
                throw LearningError.badWeights("invalid layer shape \(shape)")
            }
            let nw = shape[0] * shape[1], nb = shape[1]
            if offset + 8 * (nw + nb) > bytes.count - 8 { throw LearningError.badWeights("layer data runs past the end of the data") }
            var w = [Double](repeating: 0, count: nw)
            for i in 0..<nw { w[i] = Double(bitPattern: read(UInt64.self, at: offset + 8 * i)) }
            offset += 8 * nw
            var b = [Double](repeating: 0, count: nb)
            for i in 0..<nb { b[i] = Double(bitPattern: read(UInt64.self, at: offset + 8 * i)) }
            offset += 8 * nb
            layers.append(DenseLayer(inputs: shape[0], outputs: shape[1], weights: w, bias: b))
        }
        if offset != bytes.count - 8 { throw LearningError.badWeights("\(bytes.count - 8 - offset) unexpected trailing bytes") }
        for l in 1..<max(layers.count, 1) where l < layers.count && layers[l].inputs != layers[l - 1].outputs {
            throw LearningError.badWeights("layer \(l + 1) takes \(layers[l].inputs) inputs but layer \(l) produces \(layers[l - 1].outputs)")
        }
        let expectedOutputs = meta.output == .softmax ? (meta.preprocessor.classes?.count ?? 0) : 1
        if layers.last?.outputs != expectedOutputs {
            throw LearningError.badWeights("the last layer has \(layers.last?.outputs ?? 0) outputs; a \(meta.output.rawValue) output needs \(expectedOutputs)")
        }
        if layers.first?.inputs != meta.preprocessor.designWidth {
            throw LearningError.badWeights("first layer takes \(layers.first?.inputs ?? 0) inputs but the preprocessing produces \(meta.preprocessor.designWidth)")
        }
        var model = TrainedModel(spec: meta.spec, preprocessor: meta.preprocessor, task: meta.task, layers: layers, output: meta.output,
                                 targetMean: meta.targetMean, targetStd: meta.targetStd, precision: meta.precision, kernel: meta.kernel)
        if let r = meta.routing {
            model.routing = SegmentRouting(column: r.column, baseVersion: r.baseVersion,
                                           routes: try r.routes.map { SegmentRoute(label: $0.label, version: $0.version,
                                                                                    model: try deserialize([UInt8]($0.weights))) })
        }
        return model
    }
}
