"""Leadership PDF reports: marts -> context -> Jinja2 HTML with SVG charts -> WeasyPrint PDF."""
