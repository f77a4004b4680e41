# keychannel's date styles (FORMAT_MODULE_PATH): one style per language, never the US month-first date.
# Numbers keep Django's English separators (1,234.56); docs/i18n.md.
DATE_FORMAT = "j M Y"
SHORT_DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y H:i"
SHORT_DATETIME_FORMAT = "j M Y H:i"
MONTH_DAY_FORMAT = "j F"
YEAR_MONTH_FORMAT = "F Y"
