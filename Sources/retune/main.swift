import ArgumentParser
import Foundation
import Notebook
import Terminal

/// Options shared by every mode.
struct CommonOptions: ParsableArguments {
    @Option(name: .long, help: "The experiment store (default $RETUNE_STORE or ./retune.db).")
    var store: String?

    @Option(name: .long, help: "Colour: auto, always or never (auto honours NO_COLOR and TERM=dumb).")
    var color: ColorMode = .auto

    @Flag(name: .long, help: "In scripts, keep going after an error (the exit code is still non-zero).")
    var keepGoing = false

    func launch() -> LaunchOptions {
        var o = LaunchOptions(storePath: store ?? ProcessInfo.processInfo.environment["RETUNE_STORE"] ?? "retune.db")
        o.color = color
        o.keepGoing = keepGoing
        return o
    }
}

extension ColorMode: ExpressibleByArgument {}

@main
struct Retune: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retune",
        abstract: "A terminal notebook for deciding, with evidence, whether to retrain or fine-tune a model.",
        discussion: "With a terminal, opens the notebook prompt. With piped input, runs it as a script.",
        version: RetuneVersion.string,
        subcommands: [Prompt.self, Run.self, Export.self],
        defaultSubcommand: Prompt.self)

    /// Global options may come before the subcommand (`retune --store s.db run f.retune`):
    /// they are moved after it, where swift-argument-parser reads them.
    static func main() {
        main(Array(reorderingGlobalOptions(Array(CommandLine.arguments.dropFirst()))))
    }

    static func reorderingGlobalOptions(_ args: [String]) -> [String] {
        let withValue: Set<String> = ["--store", "--color"], flags: Set<String> = ["--keep-going"]
        let subcommands: Set<String> = ["run", "export", "prompt"]
        var globals: [String] = []
        var i = 0
        while i < args.count {
            let a = args[i]
            if withValue.contains(a), i + 1 < args.count {
                globals += [a, args[i + 1]]
                i += 2
            } else if flags.contains(a) || withValue.contains(where: { a.hasPrefix($0 + "=") }) {
                globals.append(a)
                i += 1
            } else {
                break
            }
        }
        guard !globals.isEmpty, i < args.count, subcommands.contains(args[i]) else { return args }
        return [args[i]] + globals + args[(i + 1)...]
    }
}

/// `retune`, `retune -c "…"`, or a script on stdin.
struct Prompt: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prompt", abstract: "Open the notebook prompt (the default), or run -c commands.")

    @OptionGroup var common: CommonOptions

    @Option(name: .customShort("c"), help: "Run these commands (separated by ';') and exit.")
    var commands: String?

    func run() throws {
        let options = common.launch()
        let code: Int32
        if let text = commands {
            code = App.commands(text, name: "-c", options: options)
        } else if TerminalInfo.isTTY(STDIN_FILENO) {
            code = App.interactive(options)
        } else {
            let data = FileHandle.standardInput.readDataToEndOfFile()
            code = App.commands(String(decoding: data, as: UTF8.self), name: "<stdin>", options: options)
        }
        if code != 0 { throw ExitCode(code) }
    }
}

/// `retune run FILE…`.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replay session scripts, echoing each cell notebook-style.")

    @OptionGroup var common: CommonOptions

    @Flag(name: .long, help: "Print output only, without the [n]> command echo.")
    var noEcho = false

    @Option(name: .long, help: "Compare the transcript with this expected one (fresh temporary store unless --store; the portable matrix kernel unless RETUNE_GEMM says otherwise).")
    var expect: String?

    @Flag(name: .long, help: "Write the expected transcript (FILE.out) from this replay.")
    var record = false

    @Option(name: .long, help: "Also write the session as a Markdown notebook to this file.")
    var transcript: String?

    @ArgumentParser.Argument(help: "Script files (.retune).")
    var files: [String]

    func validate() throws {
        if files.isEmpty { throw ValidationError("give at least one script file") }
    }

    func run() throws {
        var options = common.launch()
        options.echo = !noEcho
        var request = App.RunRequest(files: files)
        request.expect = expect
        request.record = record
        request.transcript = transcript
        request.storeGiven = common.store != nil
        let code = App.run(request, options: options)
        if code != 0 { throw ExitCode(code) }
    }
}

/// `retune export runs --store S [--where EXPR] [--format csv|tsv|json|md|html]`: runs to stdout.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the store's runs to stdout as CSV, TSV, JSON, Markdown or HTML.")

    @Option(name: .long, help: "The experiment store (default $RETUNE_STORE or ./retune.db).")
    var store: String?

    @Option(name: .long, help: "Only runs matching this condition, e.g. \"kind = finetune and rmse < 3\".")
    var `where`: String?

    @Option(name: .long, help: "csv (default), tsv, json, md or html.")
    var format: String = "csv"

    @ArgumentParser.Argument(help: "What to export: runs.")
    var what: String

    func validate() throws {
        if what != "runs" { throw ValidationError("retune export writes 'runs' (use the notebook's export for curves)") }
    }

    func run() throws {
        let path = store ?? ProcessInfo.processInfo.environment["RETUNE_STORE"] ?? "retune.db"
        let result = ExportCLI.runs(storePath: path, whereText: `where`, formatName: format)
        FileHandle.standardOutput.write(Data(result.output.utf8))
        FileHandle.standardError.write(Data(result.error.utf8))
        if result.code != 0 { throw ExitCode(result.code) }
    }
}
