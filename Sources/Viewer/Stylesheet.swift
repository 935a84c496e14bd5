/// The one small stylesheet and the icon, served by the responder; the pages read well without them.
enum Stylesheet {
    static let css = """
        :root { color-scheme: light dark; font-family: system-ui, sans-serif; line-height: 1.4; }
        body { margin: 0 auto; max-width: 80rem; padding: 0 1rem 2rem; }
        .skip { position: absolute; left: -100rem; }
        .skip:focus { left: 1rem; top: 0.5rem; background: Canvas; padding: 0.25rem; }
        header nav { display: flex; gap: 1rem; align-items: center; padding: 0.75rem 0; border-bottom: 1px solid GrayText; }
        header nav form { margin-left: auto; }
        a:focus, button:focus, input:focus, select:focus { outline: 2px solid Highlight; outline-offset: 2px; }
        form.inline { display: inline; }
        form.filters { display: flex; flex-wrap: wrap; gap: 0.5rem 1rem; align-items: end; margin-bottom: 1rem; }
        form.filters label { display: flex; flex-direction: column; font-size: 0.85rem; }
        table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
        th, td { text-align: left; padding: 0.3rem 0.5rem; border-bottom: 1px solid color-mix(in srgb, GrayText 40%, transparent); vertical-align: top; }
        td.number, th.number { text-align: right; font-variant-numeric: tabular-nums; }
        tr.error td { color: #b00020; }
        pre { white-space: pre-wrap; word-break: break-word; margin: 0.25rem 0; }
        .message { border-left: 4px solid GrayText; padding: 0.25rem 0.75rem; margin: 0.5rem 0; }
        .message h3 { margin: 0; font-size: 0.9rem; text-transform: uppercase; letter-spacing: 0.05em; }
        .role-user { border-color: #1565c0; }
        .role-assistant { border-color: #2e7d32; }
        .role-system { border-color: #6a1b9a; }
        .role-tool { border-color: #ef6c00; }
        .tool-call, .tool-result, .part { background: color-mix(in srgb, GrayText 12%, transparent); padding: 0.25rem 0.5rem; }
        .alert { color: #b00020; font-weight: bold; }
        .hint { color: GrayText; font-size: 0.85rem; }
        dl.summary { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1rem; }
        dl.summary dt { font-weight: bold; }
        ul.trace { list-style: none; padding-left: 1.25rem; }
        ul.trace li.current > a { font-weight: bold; }
        svg.chart { width: 100%; height: auto; max-height: 16rem; }
        svg.chart rect.bar { fill: #1565c0; }
        svg.chart rect.cost { fill: #2e7d32; }
        svg.chart text { fill: currentColor; font-size: 10px; }
        footer { margin-top: 2rem; border-top: 1px solid GrayText; padding-top: 0.5rem; font-size: 0.85rem; }
        """

    static let favicon = """
        <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#1565c0"/><path d="M4 4h8v2H9v6H7V6H4z" fill="#fff"/></svg>
        """
}
