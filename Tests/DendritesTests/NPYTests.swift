import Foundation
import Testing
import Dendrites

/// Files written by numpy 2.4 (`np.save` into a BytesIO, base64-encoded).
private enum NumpyOutput {
    /// np.array([[0.0, -1.5, 2.25], [1e-300, 3.0, np.pi]])
    static let float64x2x3 = "k05VTVBZAQB2AHsnZGVzY3InOiAnPGY4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAAAAAAAAAAAAPi/AAAAAAAAAkBZ8/jCH26lAQAAAAAAAAhAGC1EVPshCUA="
    /// np.array(2.5)
    static let scalar = "k05VTVBZAQB2AHsnZGVzY3InOiAnPGY4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKCksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAAEQA=="
    /// np.array([[1.5, -2.0], [0.25, 3.0]], dtype='<f4')
    static let float32x2x2 = "k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDIpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAMA/AAAAwAAAgD4AAEBA"
    /// np.asfortranarray(np.arange(24, dtype='<f8').reshape(2, 3, 4))
    static let fortran2x3x4 = "k05VTVBZAQB2AHsnZGVzY3InOiAnPGY4JywgJ2ZvcnRyYW5fb3JkZXInOiBUcnVlLCAnc2hhcGUnOiAoMiwgMywgNCksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAAAAAAAAAAAAChAAAAAAAAAEEAAAAAAAAAwQAAAAAAAACBAAAAAAAAANEAAAAAAAADwPwAAAAAAACpAAAAAAAAAFEAAAAAAAAAxQAAAAAAAACJAAAAAAAAANUAAAAAAAAAAQAAAAAAAACxAAAAAAAAAGEAAAAAAAAAyQAAAAAAAACRAAAAAAAAANkAAAAAAAAAIQAAAAAAAAC5AAAAAAAAAHEAAAAAAAAAzQAAAAAAAACZAAAAAAAAAN0A="
    /// np.array([1, 'a'], dtype=object), allow_pickle=True
    static let object = "k05VTVBZAQB2AHsnZGVzY3InOiAnfE8nLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMiwpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAqABJWQAAAAAAAAAIwWbnVtcHkuX2NvcmUubXVsdGlhcnJheZSMDF9yZWNvbnN0cnVjdJSTlIwFbnVtcHmUjAduZGFycmF5lJOUSwCFlEMBYpSHlFKUKEsBSwKFlGgDjAVkdHlwZZSTlIwCTziUiYiHlFKUKEsDjAF8lE5OTkr/////Sv////9LP3SUYoldlChLAYwBYZRldJRiLg=="
    /// np.array([1.0, 2.0], dtype='>f8')
    static let bigEndian = "k05VTVBZAQB2AHsnZGVzY3InOiAnPmY4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAo/8AAAAAAAAEAAAAAAAAAA"
    /// np.array([1, 2], dtype='<i8')
    static let int64 = "k05VTVBZAQB2AHsnZGVzY3InOiAnPGk4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoBAAAAAAAAAAIAAAAAAAAA"
    /// np.array([1+2j], dtype='<c16')
    static let complex = "k05VTVBZAQB2AHsnZGVzY3InOiAnPGMxNicsICdmb3J0cmFuX29yZGVyJzogRmFsc2UsICdzaGFwZSc6ICgxLCksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAADwPwAAAAAAAABA"

    static func data(_ base64: String) -> Data { Data(base64Encoded: base64)! }
}

/// A `.npy` file with a hand-written header (padded like numpy's) and raw data bytes.
private func npyFile(header: String, major: UInt8 = 1, data: [UInt8] = []) -> Data {
    let lengthFieldSize = major == 1 ? 2 : 4
    var text = Array(header.utf8)
    while (8 + lengthFieldSize + text.count + 1) % 64 != 0 { text.append(0x20) }
    text.append(0x0A)
    let length = (0..<lengthFieldSize).map { UInt8(truncatingIfNeeded: text.count >> (8 * $0)) }
    return Data([0x93] + Array("NUMPY".utf8) + [major, 0] + length + text + data)
}

private func littleEndianBytes(_ values: [Double]) -> [UInt8] {
    values.flatMap { value in withUnsafeBytes(of: value.bitPattern.littleEndian, Array.init) }
}

/// Reads `data`, which must be refused; returns the error's problem after checking it names the file.
private func refusal(_ data: Data, sourceLocation: SourceLocation = #_sourceLocation) -> String {
    do {
        let array = try NPY.read(data: data, name: "fixture.npy")
        Issue.record("expected an NPYError, read \(array)", sourceLocation: sourceLocation)
    } catch let error as NPYError {
        #expect(error.file == "fixture.npy", sourceLocation: sourceLocation)
        #expect(error.description.hasPrefix("fixture.npy: "), sourceLocation: sourceLocation)
        return error.problem
    } catch {
        Issue.record("expected an NPYError, got \(error)", sourceLocation: sourceLocation)
    }
    return ""
}

@Suite("NPY")
struct NPYTests {
    @Test(arguments: [[3, 4], [5, 1], [7], []])
    func roundTrip(shape: [Int]) throws {
        let values = (0..<shape.reduce(1, *)).map { Double($0) * 1.25 - 3 + 1e-12 }
        let directory = try SharedPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("array.npy")
        try NPY.write(values: values, shape: shape, to: url)
        #expect(try NPY.read(path: url.path) == NPYArray(shape: shape, values: values))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["array.npy"])
    }

    @Test func encodeMatchesNumpy() {
        #expect(NPY.encode(values: [0, -1.5, 2.25, 1e-300, 3, .pi], shape: [2, 3]) == NumpyOutput.data(NumpyOutput.float64x2x3))
        #expect(NPY.encode(values: [2.5], shape: []) == NumpyOutput.data(NumpyOutput.scalar))
        let encoded = NPY.encode(values: [Double](repeating: 1, count: 7), shape: [7])
        #expect((encoded.count - 56) % 64 == 0 && encoded[encoded.startIndex + 127] == 0x0A)
    }

    @Test func readsNumpyFiles() throws {
        #expect(try NPY.read(data: NumpyOutput.data(NumpyOutput.float64x2x3), name: "a.npy")
                == NPYArray(shape: [2, 3], values: [0, -1.5, 2.25, 1e-300, 3, .pi]))
        #expect(try NPY.read(data: NumpyOutput.data(NumpyOutput.scalar), name: "s.npy") == NPYArray(shape: [], values: [2.5]))
        #expect(try NPY.read(data: NumpyOutput.data(NumpyOutput.float32x2x2), name: "f4.npy")
                == NPYArray(shape: [2, 2], values: [1.5, -2, 0.25, 3]))
        #expect(try NPY.read(data: NumpyOutput.data(NumpyOutput.fortran2x3x4), name: "f.npy")
                == NPYArray(shape: [2, 3, 4], values: (0..<24).map(Double.init)))
    }

    @Test func readsOtherVersionsAndHeaderSpellings() throws {
        let body = littleEndianBytes([1, 2, 3, 4, 5, 6])
        let expected = NPYArray(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        let headers = [
            "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }",
            "{\"shape\": (2L, 3L), \"descr\": \"<f8\", \"fortran_order\": False}",
            "{ 'fortran_order' : False , 'shape' : ( 2 , 3 ) , 'descr' : '<f8' }",
        ]
        for header in headers {
            #expect(try NPY.read(data: npyFile(header: header, data: body), name: "h.npy") == expected)
        }
        for major: UInt8 in [2, 3] {
            #expect(try NPY.read(data: npyFile(header: headers[0], major: major, data: body), name: "v.npy") == expected)
        }
        let fortran = npyFile(header: "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }", data: body)
        #expect(try NPY.read(data: fortran, name: "f.npy") == NPYArray(shape: [2, 3], values: [1, 3, 5, 2, 4, 6]))
        let empty = npyFile(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 5), }")
        #expect(try NPY.read(data: empty, name: "e.npy") == NPYArray(shape: [0, 5], values: []))
    }

    @Test func readsIntegerArraysAsDoubles() throws {
        #expect(try NPY.read(data: NumpyOutput.data(NumpyOutput.int64), name: "labels.npy") == NPYArray(shape: [2], values: [1, 2]))
    }

    @Test func refusesUnsupportedDtypes() {
        let object = refusal(NumpyOutput.data(NumpyOutput.object))
        #expect(object.contains("object dtype '|O'") && object.contains("'<f8'") && object.contains("'<f4'"))
        let bigEndian = refusal(NumpyOutput.data(NumpyOutput.bigEndian))
        #expect(bigEndian.contains("big-endian dtype '>f8'") && bigEndian.contains("'<f8'"))
        let complex = refusal(NumpyOutput.data(NumpyOutput.complex))
        #expect(complex.contains("unsupported dtype '<c16'") && complex.contains("'<f8'") && complex.contains("'<f4'"))
        let structured = refusal(npyFile(header: "{'descr': [('x', '<f8')], 'fortran_order': False, 'shape': (1,), }", data: littleEndianBytes([1])))
        #expect(structured.contains("unsupported dtype [('x', '<f8')]"))
    }

    @Test func refusesMalformedFiles() {
        let valid = NPY.encode(values: [1, 2, 3, 4, 5, 6], shape: [2, 3])

        #expect(refusal(Data("PK\u{3}\u{4} not numpy".utf8)).contains("magic string"))
        #expect(refusal(Data()).contains("magic string"))

        var version4 = valid
        version4[6] = 4
        #expect(refusal(version4).contains("unsupported .npy format version 4.0"))

        var longHeader = valid
        longHeader[8] = 0xFF
        longHeader[9] = 0xFF
        #expect(refusal(longHeader).contains("header length 65535 runs past the end of the 176-byte file"))
        #expect(refusal(valid.prefix(9)).contains("truncated"))

        #expect(refusal(valid.dropLast(8)).contains("data section has 40 bytes but shape (2, 3) of '<f8' needs 48"))
        #expect(refusal(valid + Data([0])).contains("data section has 49 bytes"))

        let absurd = refusal(npyFile(header: "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000, 1000000000000), }"))
        #expect(absurd.contains("absurd shape (1000000000000, 1000000000000)"))
        let huge = refusal(npyFile(header: "{'descr': '<f8', 'fortran_order': False, 'shape': (123456789012345678901234567890,), }"))
        #expect(huge.contains("absurd dimension 123456789012345678901234567890"))
        #expect(refusal(npyFile(header: "{'descr': '<f8', 'fortran_order': False, 'shape': (-1, 3), }")).contains("negative dimension -1"))

        #expect(refusal(npyFile(header: "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), ")).contains("malformed header"))
        #expect(refusal(npyFile(header: "{'descr': '<f8', 'shape': (2, 3)}")).contains("'fortran_order'"))
        #expect(refusal(npyFile(header: "{'descr': '<f8', 'fortran_order': 0, 'shape': (2, 3)}")).contains("malformed header"))
        #expect(refusal(npyFile(header: "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3.5)}")).contains("malformed header"))
        #expect(refusal(npyFile(header: "{'descr': '<f8', 'fortran_order': False, 'shape': 6}")).contains("malformed header"))
    }

    @Test func missingFileNamesIt() throws {
        let directory = try SharedPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("absent.npy").path
        #expect(throws: NPYError(file: path, problem: "file not found")) { try NPY.read(path: path) }
    }
}
