extension Registry {
    /// Every command retune knows, in the order `help` lists them within a group.
    public static var standard: Registry {
        Registry(notebookCommands() + saveShareCommands() + decisionCommands())
    }
}
