# keychannel's date styles (FORMAT_MODULE_PATH): one style per language (day.month.year, 24-hour time).
# Numbers keep Django's separators for the language (ro 1.234,56; ru 1 234,56); docs/i18n.md.
DATE_FORMAT = "d.m.Y"
SHORT_DATE_FORMAT = "d.m.Y"
DATETIME_FORMAT = "d.m.Y H:i"
SHORT_DATETIME_FORMAT = "d.m.Y H:i"
