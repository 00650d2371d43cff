# A fixture for EvaluatorTest: each local is one construct of the language the Sluice module uses, with the value
# Terraform gives it (in the comment) for the defaults below.

variable "n" {
  type    = number
  default = 20000
}

variable "name" {
  type    = string
  default = "sluice"
}

variable "flag" {
  type    = bool
  default = false
}

variable "object" {
  type = object({ min = number, max = number })
  default = {
    min = 2
    max = 10
  }
}

locals {
  interpolation = "a-${var.name}-${var.n}"                             # "a-sluice-20000"
  arithmetic    = ceil(var.n / 3000) + 1                               # 8
  quotient      = "${var.n / 1000}"                                    # "20"
  conditional   = var.flag ? "yes" : "no"                              # "no"
  nested        = "${var.name == "sluice" ? "" : "x = ${var.name}\n"}" # ""
  directive     = "%{if var.flag}on%{else}off%{endif}"                 # "off"
  escaped       = "line\n${var.name}\t\"q\" $${not} 100%"              # "line<newline>sluice<tab>\"q\" ${not} 100%"
  heredoc       = <<-EOT
    first = ${var.name}
      indented
  EOT
  # "first = sluice\n  indented\n"
  merged      = merge({ "a.b/c" = 1, d = "e" }, { d = "f" })          # {"a.b/c": 1, "d": "f"}
  indexed     = local.merged["a.b/c"]                                  # 1
  attribute   = var.object.max                                         # 10
  tuple       = [var.name, var.n, var.flag]                            # ["sluice", 20000, false]
  known_later = "${random_password.p.result}-suffix"                   # unknown
  configured  = thing_resource.counted[0].settings[0].value            # "v-sluice"
  coalesced   = coalesce("", null, var.name)                           # "sluice"
  checked     = can(regex("^[a-z]+$", var.name)) && !can(regex("^[0-9]+$", var.name)) # true
  formatted   = format("http://%s:%d", var.name, 80)                   # "http://sluice:80"
  hash        = sha256(var.name)
  looped      = [for x in [1, 2] : x * 2] # not covered: the evaluator says so
}

resource "random_password" "p" {
  length = 10
}

resource "thing_resource" "counted" {
  count = 1
  settings {
    value = "v-${var.name}"
  }
}
