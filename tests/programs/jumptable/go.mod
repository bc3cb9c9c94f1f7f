module example.com/jumptable

go 1.21
