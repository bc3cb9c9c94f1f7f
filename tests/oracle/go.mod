module gobinopt.test/oracle

go 1.21
