# R side of the ingestion benchmark: read one large 问卷星 export and estimate the share satisfied overall.
#
#   Rscript bench/r/ingest_bench.R EXPORT.csv|EXPORT.xlsx
#
# What an R user does with such a download: read it (utils::read.csv for CSV, readxl::read_excel for xlsx;
# every column as text, as the toolkit reads it), then survey::svydesign(ids = ~1, weights = ~1) and
# svymean of the overall item being 满意 or 非常满意 (its header starts with "15、"). No validation, no
# pseudonymisation, no store: a floor for R, not the same work. Prints one JSON line: seconds (wall, reading
# and estimating), rows, estimate.
suppressPackageStartupMessages({
  library(survey)
  library(jsonlite)
})

path <- commandArgs(trailingOnly = TRUE)[[1]]
started <- proc.time()[["elapsed"]]
if (grepl("\\.xlsx$", path)) {
  suppressPackageStartupMessages(library(readxl))
  frame <- as.data.frame(read_excel(path, col_types = "text"))
} else {
  frame <- read.csv(path, colClasses = "character", check.names = FALSE, fileEncoding = "UTF-8-BOM")
}
overall <- grep("^15、", names(frame))[[1]]
frame$satisfied <- as.numeric(frame[[overall]] %in% c("满意", "非常满意"))
design <- svydesign(ids = ~1, weights = ~1, data = frame[, "satisfied", drop = FALSE])
estimate <- svymean(~satisfied, design)
seconds <- proc.time()[["elapsed"]] - started
cat(toJSON(list(seconds = seconds, rows = nrow(frame), estimate = unname(coef(estimate))), auto_unbox = TRUE), "\n")
