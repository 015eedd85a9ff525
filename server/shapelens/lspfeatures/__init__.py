"""Parts of the language server (shapelens.lsp) kept in their own modules."""
