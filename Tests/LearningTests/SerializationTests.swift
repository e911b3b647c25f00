import Testing
import Tabular
@testable import Learning

@Suite struct SerializationTests {
    @Test func roundTripIsLossless() throws {
        let mlp = try Trainer.train(spec: ModelSpec(name: "m", family: .mlp, target: "y", hidden: [4], activation: .gelu),
                                    data: Synthetic.nonlinear(rows: 50, seed: 1), options: TrainOptions(epochs: 2)).model
        let bytes = try mlp.serialize()
        #expect(Array(bytes[0..<4]) == Array("RTNW".utf8))
        let back = try TrainedModel.deserialize(bytes)
        #expect(back == mlp)
        let test = Synthetic.nonlinear(rows: 20, seed: 2)
        #expect(try back.predict(test).values == (try mlp.predict(test).values))
        let lin = try Trainer.train(spec: ModelSpec(name: "l", family: .linear, target: "y"),
                                    data: Synthetic.linear(rows: 50, seed: 1), options: TrainOptions()).model
        #expect(try TrainedModel.deserialize(try lin.serialize()) == lin)
    }

    @Test func badMagicVersionAndCorruptionAreErrors() throws {
        let lin = try Trainer.train(spec: ModelSpec(name: "l", family: .linear, target: "y"),
                                    data: Synthetic.linear(rows: 50, seed: 1), options: TrainOptions()).model
        let bytes = try lin.serialize()
        var bad = bytes
        bad[0] = 0x58
        #expect { try TrainedModel.deserialize(bad) } throws: { "\($0)".contains("magic") }
        var version = bytes
        version[4] = 9
        #expect { try TrainedModel.deserialize(version) } throws: { "\($0)".contains("version 9") }
        var corrupt = bytes
        corrupt[corrupt.count - 20] ^= 0xFF
        #expect { try TrainedModel.deserialize(corrupt) } throws: { "\($0)".contains("checksum") }
        #expect(throws: LearningError.self) { try TrainedModel.deserialize([1, 2, 3]) }
    }
}
