import Testing

@testable import ProxyConfig

@Suite("LineLocator")
struct LineLocatorTests {
    static let text = """
        top = 1
        [server]   # comment with [brackets] and key = value
        listen = "a"
        "quoted key" = 'x'
        [[rule]]
        name = "one"
        tags = [
          "a", # [not a header]
          "b",
        ]
        match = "GET /x"
        [[rule]]
        name = '''
        [not a header]
        x = 1
        '''
        ttl = "1h"
        dotted.key = 1
        [cache]
        memory = "1MiB"
        """

    @Test(arguments: [
        (LineLocator.Section.root, "top", 1),
        (LineLocator.Section(name: "server", index: nil), "listen", 3),
        (LineLocator.Section(name: "server", index: nil), "quoted key", 4),
        (LineLocator.Section(name: "rule", index: 0), "name", 6),
        (LineLocator.Section(name: "rule", index: 0), "tags", 7),
        (LineLocator.Section(name: "rule", index: 0), "match", 11),
        (LineLocator.Section(name: "rule", index: 1), "name", 13),
        (LineLocator.Section(name: "rule", index: 1), "ttl", 17),
        (LineLocator.Section(name: "rule", index: 1), "dotted", 18),
        (LineLocator.Section(name: "cache", index: nil), "memory", 20),
    ])
    func keys(_ section: LineLocator.Section, _ key: String, _ line: Int) {
        let locator = LineLocator(text: Self.text)
        #expect(locator.line(of: key, in: section) == line)
    }

    @Test func headersAndAbsentKeys() {
        let locator = LineLocator(text: Self.text)
        #expect(locator.line(of: LineLocator.Section(name: "server", index: nil)) == 2)
        #expect(locator.line(of: LineLocator.Section(name: "rule", index: 1)) == 12)
        #expect(locator.line(of: LineLocator.Section(name: "rule", index: 2)) == nil)
        #expect(locator.line(of: "x", in: LineLocator.Section(name: "rule", index: 1)) == nil)
        #expect(locator.line(of: "a", in: LineLocator.Section(name: "rule", index: 0)) == nil)
        #expect(locator.headerWithoutName == nil)
    }

    /// Headers toml++ would abort on (TOMLPrecheck); brackets inside strings and arrays are not headers.
    @Test(arguments: [
        ("[\u{e9}]", 1, 2), ("x = 1\n  [ \t#]", 2, 6), ("[[\r\n", 1, 3), ("[\n", 1, 2), ("[\u{a0}a]", 1, 2),
    ])
    func headersWithoutAName(_ text: String, _ line: Int, _ column: Int) {
        let header = LineLocator(text: text).headerWithoutName
        #expect(header?.line == line)
        #expect(header?.column == column)
    }

    @Test(arguments: [
        "[a]", "[ \"q\" ]", "['l']", "[[_x]]", "[-]", "[]", "[ [a]]", "[", "x = '''\n[\u{e9}]\n'''", "x = [\n[{a = 1}],\n]",
    ])
    func headersWithAName(_ text: String) {
        #expect(LineLocator(text: text).headerWithoutName == nil)
    }
}
