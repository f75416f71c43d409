"""Reports: self-contained HTML pages (html, charts, i18n), CSV and JSON exports."""
