extension Registry {
    /// Every command retune knows, in the order `help` lists them within a group.
    public static let standard: Registry =
        Registry(notebookCommands() + saveShareCommands() + dataCommands() + modelCommands()
                 + experimentCommands() + decisionCommands() + [backtestCommand, healthCommand, auditCommand, segmentCommand, sweepCommand, storeCommand])
}
