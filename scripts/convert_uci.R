# Converts the UCI tasks that Debian ships as R data (r-cran-mlbench, r-cran-kernlab) or as
# scikit-learn CSVs (python3-sklearn) into ARFF files, one per task, named as in the 121-task list
# of Fernández-Delgado et al. (2014). scripts/setup.sh runs it once; datasets/uci.cpp is the
# catalogue that reads the results (and weka's own ARFF files, which need no conversion).
#
# Usage: Rscript scripts/convert_uci.R OUT_DIR
#
# ARFF keeps what a CSV loses: which attributes are nominal and all their declared values, and
# which cells are missing ('?'). Nothing is imputed, scaled or encoded here: that happens per
# training part in C++ (datasets/tabular.h). Each file is written to a temporary name and renamed,
# so an interrupted run never leaves a half-written task behind.

args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 1) stop("usage: Rscript scripts/convert_uci.R OUT_DIR")
out_dir <- args[[1]]
dir.create(out_dir, recursive = TRUE, showWarnings = FALSE)

suppressPackageStartupMessages({
  library(mlbench)
  library(kernlab)
})

sklearn_dir <- "/usr/lib/python3/dist-packages/sklearn/datasets/data"

# ---- ARFF writing ----

arff_quote <- function(s) {
  s <- gsub("\\\\", "\\\\\\\\", s)
  s <- gsub("'", "\\\\'", s)
  paste0("'", s, "'")
}

# Every value is quoted; a missing cell (NA) is '?'.
arff_column <- function(x) {
  if (is.factor(x)) {
    out <- arff_quote(as.character(x))
  } else if (is.logical(x)) {
    out <- ifelse(x, "1", "0")
  } else {
    out <- as.character(x)  # 15 significant digits, each number on its own
  }
  out[is.na(x)] <- "?"
  out
}

arff_type <- function(x) {
  if (is.factor(x)) paste0("{", paste(arff_quote(levels(x)), collapse = ","), "}") else "numeric"
}

write_arff <- function(df, task, source) {
  path <- file.path(out_dir, paste0(task, ".arff"))
  tmp <- paste0(path, ".tmp")
  con <- file(tmp, "w")
  writeLines(c(paste0("% ", task, ": converted from ", source, " by scripts/convert_uci.R"),
               paste0("@relation ", arff_quote(task)), ""), con)
  for (name in names(df)) writeLines(paste0("@attribute ", arff_quote(name), " ", arff_type(df[[name]])), con)
  writeLines(c("", "@data"), con)
  cells <- lapply(df, arff_column)
  writeLines(do.call(paste, c(cells, sep = ",")), con)
  close(con)
  if (!file.rename(tmp, path)) stop("cannot rename ", tmp, " to ", path)
  cat(sprintf("  %-30s %6d rows  %4d columns  <- %s\n", task, nrow(df), ncol(df), source))
}

r_data <- function(name, package) {
  env <- new.env()
  data(list = name, package = package, envir = env)
  if (!exists(name, envir = env)) stop("package ", package, " has no data set ", name)
  get(name, envir = env)
}

# An ordered factor of numbers ("1" < ... < "10") back to its numbers, as in the UCI file.
as_number <- function(f) as.numeric(as.character(f))

# sklearn's bundled CSVs: a first line "n,d,class names...", then rows of d numbers and a class index.
sklearn_csv <- function(file, feature_names) {
  path <- file.path(sklearn_dir, file)
  header <- strsplit(readLines(path, n = 1), ",")[[1]]
  df <- read.csv(path, skip = 1, header = FALSE)
  d <- as.integer(header[[2]])
  if (nrow(df) != as.integer(header[[1]]) || ncol(df) != d + 1 || length(feature_names) != d)
    stop(path, ": header says ", header[[1]], " rows and ", d, " features, found ", nrow(df), " x ", ncol(df) - 1)
  names(df) <- c(feature_names, "class")
  df$class <- factor(header[3:length(header)][df$class + 1], levels = header[3:length(header)])
  df
}

# ---- the tasks ----

cat("tapegrad setup: converting UCI data to ARFF in", out_dir, "\n")

# mlbench
bc <- r_data("BreastCancer", "mlbench")
bc$Id <- NULL  # the sample code number identifies a patient, not a feature
for (col in setdiff(names(bc), "Class")) bc[[col]] <- as_number(bc[[col]])
write_arff(bc, "breast-cancer-wisc", "r-cran-mlbench BreastCancer")

write_arff(r_data("Sonar", "mlbench"), "conn-bench-sonar-mines-rocks", "r-cran-mlbench Sonar")
write_arff(r_data("Vowel", "mlbench"), "conn-bench-vowel-deterding", "r-cran-mlbench Vowel")
write_arff(r_data("LetterRecognition", "mlbench"), "letter", "r-cran-mlbench LetterRecognition")
write_arff(r_data("Satellite", "mlbench"), "statlog-landsat", "r-cran-mlbench Satellite")
write_arff(r_data("Shuttle", "mlbench"), "statlog-shuttle", "r-cran-mlbench Shuttle")
write_arff(r_data("Vehicle", "mlbench"), "statlog-vehicle", "r-cran-mlbench Vehicle")
write_arff(r_data("Zoo", "mlbench"), "zoo", "r-cran-mlbench Zoo")
write_arff(r_data("DNA", "mlbench"), "molec-biol-splice", "r-cran-mlbench DNA")

# kernlab
write_arff(r_data("spam", "kernlab"), "spambase", "r-cran-kernlab spam")
write_arff(r_data("musk", "kernlab"), "musk-1", "r-cran-kernlab musk")
write_arff(r_data("promotergene", "kernlab"), "molec-biol-promoter", "r-cran-kernlab promotergene")

# scikit-learn (feature names as in sklearn's load_wine and load_breast_cancer)
wine_names <- c("alcohol", "malic_acid", "ash", "alcalinity_of_ash", "magnesium", "total_phenols", "flavanoids",
                "nonflavanoid_phenols", "proanthocyanins", "color_intensity", "hue",
                "od280/od315_of_diluted_wines", "proline")
write_arff(sklearn_csv("wine_data.csv", wine_names), "wine", "python3-sklearn wine_data.csv")
wdbc_base <- c("radius", "texture", "perimeter", "area", "smoothness", "compactness", "concavity",
               "concave points", "symmetry", "fractal dimension")
wdbc_names <- c(paste("mean", wdbc_base), paste(wdbc_base, "error"), paste("worst", wdbc_base))
write_arff(sklearn_csv("breast_cancer.csv", wdbc_names), "breast-cancer-wisc-diag", "python3-sklearn breast_cancer.csv")

# Generated tasks: mlbench's generators of Breiman's (1996) twonorm, ringnorm and waveform, at the
# sizes of the 121-task list, each from its own fixed seed (R's default Mersenne-Twister).
generated <- function(task, seed, make) {
  set.seed(seed)
  p <- make()
  df <- as.data.frame(p$x)
  names(df) <- paste0("x", seq_len(ncol(df)))
  df$class <- p$classes
  write_arff(df, task, sprintf("r-cran-mlbench %s, set.seed(%d) [generated]", deparse(body(make)), seed))
}
generated("twonorm", 1, function() mlbench.twonorm(7400, d = 20))
generated("ringnorm", 2, function() mlbench.ringnorm(7400, d = 20))
generated("waveform", 3, function() mlbench.waveform(5000))
